"""The baseline the web benchmark compares Alta with: a bare Django project built from stock
parts, under the same gunicorn command and on the same PostgreSQL database as Alta. It
serves Django's own login page, django-allauth's signup, and the agents' access request
built the way a Django team would build it with stock parts (formtools'
NamedUrlSessionWizardView, database sessions, simple-captcha's CaptchaField, stock
templates) on Alta's own agent models and tables. Never mounted by portal.urls; allauth
comes only with the `bench` extra."""

# The schema of the baseline's own tables (users, sessions, captchas, allauth's) in Alta's
# database; Alta's tables stay in `public`, where the baseline reads the SAA mirror.
SCHEMA = "baseline"
