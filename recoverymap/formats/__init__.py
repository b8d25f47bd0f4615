"""Date and time formats per language, over Django's own (FORMAT_MODULE_PATH): the times
of meetings as each language's readers write them on a schedule."""
