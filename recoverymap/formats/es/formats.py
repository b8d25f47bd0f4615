# "7:30 p.m.": the 12-hour clock most Spanish speakers in the US and Mexico read, with
# Django's own Spanish abbreviations.
TIME_FORMAT = "g:i a"
