"""The client registration wizard's forms, with the client guide's texts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from portal import texts
from portal.accounts.services import mask_email
from portal.codes import Check
from portal.wizards import IdentifyOnceForm

from . import services
from .flow import IdentifiedPerson
from .models import Person, RegistrationKey

MSG_NO_MATCH = _(
    "Los datos ingresados no coinciden con nuestros registros. Revísalos e inténtalo de nuevo."
)
MSG_NO_EMAIL = _("Selecciona un correo electrónico de la lista o ingresa uno nuevo.")
MSG_ON_FILE_ONLY = _(
    "Por seguridad, tu usuario debe ser uno de los correos electrónicos que tenemos "
    "registrados. Selecciona uno de la lista; si ninguno es tuyo, comunícate al Call Center "
    "%(phone)s."
)
MSG_ASK_FOR_INVITATION = _(
    "No tenemos un correo electrónico registrado para ti. Para registrarte, comunícate al "
    "Call Center %(phone)s y pide una invitación: te enviaremos un correo con tu clave de "
    "registro para que continúes en «Recibí un correo para registrarme»."
)
MSG_KEY_FROM_LINK = _(
    "Tu clave de registro viene del enlace de tu correo; solo escribe tu número de póliza."
)
MSG_BAD_INVITATION_LINK = _("El enlace no es válido o venció; escribe la clave del correo.")
POLICY_HELP = _(
    "Lo encuentras en la carátula de tu póliza, en la parte superior derecha, junto a "
    "«Póliza No.», y en tus recibos de pago. Escríbelo sin espacios."
)


# The policy number is digits (10 on the policy's cover): a phone's number pad; type stays
# text, so a leading zero is kept and nothing is read as a quantity.
POLICY_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


def already_registered_message() -> SafeString:
    """The "already registered" error, with links to the login and the password reset."""
    return format_html(
        '{} <a href="{}">{}</a> {} <a href="{}">{}</a>.',
        _("Ya tienes una cuenta en el portal de clientes."),
        reverse("registration:login"),
        _("Ingresa con tu correo y contraseña"),
        _("o, si no la recuerdas,"),
        reverse("registration:password_reset"),
        _("recupera tu contraseña"),
    )


# --- the birth date, typed as dd/mm/aaaa -----------------------------------------------------
# A text field, not <input type="date">: the native one takes the order of the browser's
# language (15071992 typed in an English browser became 1992-12-07), so no hint could match it.
_SEPARATOR = r"\s*[/.\-\s]\s*"
LONGEST_TYPED_DATE = 20  # "15 / 07 / 1992" and room to spare; longer is not a date
_DAY_FIRST = re.compile(rf"([0-9]{{1,2}}){_SEPARATOR}([0-9]{{1,2}}){_SEPARATOR}([0-9]{{4}})")
_EIGHT_DIGITS = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")
# A four-digit year first can only be aaaa-mm-dd (ISO, as on some documents), so reading it
# never swaps day and month; 19920715 is not read that way (see `day_month_year`).
_YEAR_FIRST = re.compile(rf"([0-9]{{4}}){_SEPARATOR}([0-9]{{1,2}}){_SEPARATOR}([0-9]{{1,2}})")
OLDEST_BIRTH_YEAR = 1900

MSG_BIRTH_DATE_FORMAT = _(
    "Escribe la fecha de nacimiento como dd/mm/aaaa; por ejemplo, 15/07/1992."
)
MSG_BIRTH_DATE_NONEXISTENT = _(
    "La fecha de nacimiento que escribiste no existe: revisa el día y el mes (dd/mm/aaaa)."
)
MSG_BIRTH_DATE_RANGE = _("Revisa la fecha de nacimiento: debe estar entre el año %(oldest)d y hoy.")


def day_month_year(text: str) -> tuple[int, int, int] | None:
    """Day, month and year of a date typed as dd/mm/aaaa, with /, -, . or spaces between
    (5/7/1992 too), as eight digits ddmmaaaa, or as aaaa-mm-dd; None for anything else.
    Eight digits are always ddmmaaaa: read so, an aaaammdd gives a year before 1900."""
    text = text.strip()
    if len(text) > LONGEST_TYPED_DATE:  # and no pattern is tried on a page of spaces
        return None
    if match := _DAY_FIRST.fullmatch(text) or _EIGHT_DIGITS.fullmatch(text):
        day, month, year = match.groups()
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.groups()
    else:
        return None
    return int(day), int(month), int(year)


def typed_date(text: str) -> date | None:
    """The date `text` names as `day_month_year` reads it; None when it names none."""
    parts = day_month_year(text)
    if parts is None:
        return None
    day, month, year = parts
    try:
        return date(year, month, day)
    except ValueError:  # 31/02/1992, 15/13/1992
        return None


class BirthDateInput(forms.TextInput):
    """A text input for dd/mm/aaaa that shows a date it can read as dd/mm/aaaa (coming back
    to the step, 15071992 reads 15/07/1992) and anything else as it was typed."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"inputmode": "numeric", "autocomplete": "bday", "maxlength": 10, "size": 10}
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            value = typed_date(value) or value
        if isinstance(value, date):
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return super().format_value(value)


class BirthDateField(forms.DateField):
    """A birth date typed as dd/mm/aaaa (see `day_month_year`), from 1900 to today: what
    fails here is the form's own message and never reaches the identity match, so a typo
    costs no identification attempt."""

    widget = BirthDateInput
    default_error_messages = {
        "invalid": MSG_BIRTH_DATE_FORMAT,
        "nonexistent": MSG_BIRTH_DATE_NONEXISTENT,
        "out_of_range": MSG_BIRTH_DATE_RANGE,
    }

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        text = str(value)
        born = typed_date(text)
        # Eight bare digits that make no birth date were likely typed in another order
        # (19920715): the format, with its example, says more than "no such day".
        if day_month_year(text) is None or (text.isdigit() and not self.in_range(born)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if born is None:  # 31/02/1992, 15/13/1992
            raise ValidationError(self.error_messages["nonexistent"], code="nonexistent")
        return born

    @staticmethod
    def in_range(born: date | None) -> bool:
        return born is not None and date(OLDEST_BIRTH_YEAR, 1, 1) <= born <= timezone.localdate()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not self.in_range(value):
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"oldest": OLDEST_BIRTH_YEAR},
            )


class _IdentifyBase(IdentifyOnceForm):
    """Both ways of identifying a client; `verified` is `{"fp", "person", "invitation"}`
    from the wizard's storage."""

    refused_by = (services.IdentificationError,)

    def __init__(
        self,
        *args: Any,
        load_person: Callable[[int], Person | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # How `restore` reads the verified person: the wizard passes its per-request read,
        # so the final re-validation does not read the person again.
        self.load_person = load_person or (lambda pk: Person.objects.filter(pk=pk).first())
        self.person: Person | None = None
        self.invitation: RegistrationKey | None = None

    def restore(self, verified: dict[str, Any]) -> bool:
        self.person = self.load_person(verified["person"])
        if verified.get("invitation"):
            self.invitation = RegistrationKey.objects.filter(pk=verified["invitation"]).first()
        return self.person is not None

    def refusal(self, error: Exception) -> ValidationError:
        if isinstance(error, services.AlreadyRegistered):
            return ValidationError(already_registered_message(), code="registered")
        return ValidationError(MSG_NO_MATCH, code="no_match")


class IdentifyForm(_IdentifyBase):
    """ "Aún no estoy registrado": policy number, name, surname and birth date."""

    numero_poliza = forms.CharField(
        label=_("Número de póliza"),
        max_length=30,
        help_text=POLICY_HELP,
        widget=forms.TextInput(attrs=POLICY_ATTRS),
    )
    nombre = forms.CharField(
        label=_("Nombre"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    apellido_paterno = forms.CharField(
        label=_("Apellido paterno"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    fecha_nacimiento = BirthDateField(label=_("Fecha de nacimiento"), help_text=_("dd/mm/aaaa"))

    def identify(self, data: dict[str, Any]) -> None:
        self.person = services.identify_by_policy(
            data["numero_poliza"],
            data["nombre"],
            data["apellido_paterno"],
            data["fecha_nacimiento"],
            ip=self.client_ip,
        )


class IdentifyKeyForm(_IdentifyBase):
    """ "Recibí un correo para registrarme": the invitation's key and a policy number."""

    clave_registro = forms.CharField(
        label=_("Clave de registro"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("La encuentras en el correo de invitación que te enviamos."),
    )
    numero_poliza = forms.CharField(
        label=_("Número de póliza"),
        max_length=30,
        help_text=POLICY_HELP,
        widget=forms.TextInput(attrs=POLICY_ATTRS),
    )

    def __init__(
        self, *args: Any, linked_key: str = "", linked_key_shown: str = "", **kwargs: Any
    ) -> None:
        """`linked_key`: the HMAC of the key an invitation link brought (registration.flow).
        The field then shows `linked_key_shown`, read-only, and whatever is posted in it is
        ignored: the key used is the link's, so the page cannot show one key and use another."""
        super().__init__(*args, **kwargs)
        self.linked_key = linked_key
        if linked_key:
            field = self.fields["clave_registro"]
            field.required = False
            field.widget.attrs["readonly"] = True
            field.help_text = MSG_KEY_FROM_LINK
            self.initial["clave_registro"] = linked_key_shown
            if self.is_bound:  # shown again with errors: the link's key, not what was posted
                data = QueryDict(mutable=True)
                data.update(self.data)
                data[self.add_prefix("clave_registro")] = linked_key_shown
                self.data = data

    def clean_clave_registro(self) -> str:
        if self.linked_key:
            # What the identification's fingerprint is of: this link's key, not the text.
            return f"link:{self.linked_key}"
        return str(self.cleaned_data["clave_registro"])

    def identify(self, data: dict[str, Any]) -> None:
        if self.linked_key:
            self.person, self.invitation = services.identify_by_key_digest(
                self.linked_key, data["numero_poliza"], ip=self.client_ip
            )
        else:
            self.person, self.invitation = services.identify_by_key(
                data["clave_registro"], data["numero_poliza"], ip=self.client_ip
            )


class ProductsForm(forms.Form):
    """Choose the email that will be the username: one on file, or a new one typed twice."""

    email_choice = forms.ChoiceField(
        label=_(
            "Selecciona el correo electrónico con el cual quieres que identifiquemos todos "
            "tus productos"
        ),
        widget=forms.RadioSelect,
        required=False,
    )
    new_email = forms.EmailField(
        label=_("o ingresa uno nuevo"),
        max_length=254,
        required=False,
        help_text=_("Si escribes un correo nuevo, será el que usemos."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    new_email_confirmation = forms.EmailField(
        label=_("Repite el nuevo correo"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(
        self,
        *args: Any,
        person: Person | None = None,
        shown: IdentifiedPerson | None = None,
        session_key: str = "",
        client_ip: str = "",
        **kwargs: Any,
    ) -> None:
        """To check a POST, `person` (read again); to show the step, `shown`: what step 1
        read (registration.flow), so the page reads no row."""
        super().__init__(*args, **kwargs)
        self.person = person
        self.session_key = session_key
        self.client_ip = client_ip
        # Chosen by position: the addresses on file are masked until a code proves control
        # of one, so none reaches the page, its attributes or the posted data.
        if person is not None or shown is None:
            self.emails_on_file = services.emails_on_file(person) if person else []
            offered = services.masked_emails(self.emails_on_file)
            self.new_email_allowed = services.new_email_allowed(person)
        else:
            self.emails_on_file = []  # only a POST needs the addresses themselves
            offered = list(shown.emails_on_file)
            self.new_email_allowed = shown.new_email_allowed
        field = cast(forms.ChoiceField, self.fields["email_choice"])
        field.choices = list(enumerate(offered))
        if not offered:
            del self.fields["email_choice"]
        if not self.new_email_allowed:
            del self.fields["new_email"], self.fields["new_email_confirmation"]
        # No address on file and CLIENT_WITHOUT_EMAIL_ON_FILE=invitation: nothing to choose.
        self.invitation_needed = not offered and not self.new_email_allowed

    @property
    def invitation_message(self) -> str:
        return MSG_ASK_FOR_INVITATION % {"phone": settings.CALL_CENTER_PHONE}

    def on_file_only_error(self) -> ValidationError:
        if self.invitation_needed:
            return ValidationError(self.invitation_message, code="invitation")
        return ValidationError(
            MSG_ON_FILE_ONLY, code="on_file_only", params={"phone": settings.CALL_CENTER_PHONE}
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        if self.person is not None and self.person.user_id is not None:
            # Registered meanwhile (another tab or device).
            raise ValidationError(already_registered_message(), code="registered")
        new = (data.get("new_email") or "").strip().lower()
        again = (data.get("new_email_confirmation") or "").strip().lower()
        if new or again:
            if new != again:
                self.add_error("new_email_confirmation", texts.EMAILS_DIFFER)
                return data
            email = shown = new
        else:
            choice = data.get("email_choice") or ""
            # A valid choice is a position in the list (ChoiceField checked it).
            email = self.emails_on_file[int(choice)] if choice else ""
            shown = mask_email(email)
        if not email:
            if not self.new_email_allowed:
                raise self.on_file_only_error()
            raise ValidationError(MSG_NO_EMAIL, code="required")
        try:
            services.check_chosen_email(
                person=self.person,
                email=email,
                typed=bool(new),
                session=self.session_key,
                ip=self.client_ip,
            )
        except services.NewEmailNotAllowed:
            raise self.on_file_only_error() from None
        except services.EmailRefused:
            raise ValidationError(texts.EMAIL_UNAVAILABLE, code="refused") from None
        except services.EmailTaken:
            raise ValidationError(texts.EMAIL_TAKEN, code="taken") from None
        data["email"] = email
        # What the code step may say: the address typed here, or the mask of one on file.
        data["email_shown"] = shown
        return data


class RegistrationCodeForm(forms.Form):
    """The 6-digit code sent to the chosen email."""

    code = forms.CharField(
        label=_("Código de confirmación (token)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )

    def __init__(
        self,
        *args: Any,
        person: Person | None = None,
        email: str = "",
        verified: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.email = email
        self.verified = verified

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors or self.verified:
            # Checked once already: the final re-validation must not use the code again.
            return data
        if self.person is None or not self.email:
            raise ValidationError(texts.CODE_EXPIRED, code="expired")
        result = services.check_registration_code(self.person, self.email, data["code"])
        if result is not Check.OK:
            raise ValidationError(texts.code_error(result.value), code=result.value)
        return data
