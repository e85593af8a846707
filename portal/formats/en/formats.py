"""English: "January 5, 2027" (Django's own abbreviates the month: "Jan. 5, 2027")."""

DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, P"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y P"
