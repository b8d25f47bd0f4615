# "7:30 PM", as US meeting schedules print it.
TIME_FORMAT = "g:i A"
