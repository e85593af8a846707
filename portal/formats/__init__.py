"""Date formats per language (FORMAT_MODULE_PATH), read ahead of Django's: pages, emails and
the admin name a format ("DATE_FORMAT"), never a pattern, so each language writes its dates
its own way. The words (month and day names) come from the catalogues: Spanish lowercases
them (locale/es), except the header, which keeps the manual's "Sábado 21 Noviembre"."""
