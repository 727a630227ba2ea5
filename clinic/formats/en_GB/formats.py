"""British English with the 24-hour clock the clinic uses everywhere.

Django's en_GB formats write times as "noon" and "12:45 p.m."; the site and
the staff admin read 09:30 and 12:45 instead.
"""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
