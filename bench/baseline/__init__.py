"""The baseline the web benchmark compares Alta with: a bare Django project serving Django's
own login page and django-allauth's signup page, under the same gunicorn command and on the
same PostgreSQL server as Alta (in a database of its own). Never mounted by portal.urls;
allauth comes only with the `bench` extra."""
