"""The captcha as people must read it (settings CAPTCHA_*, django-simple-captcha): challenges
without look-alike characters, light noise, and a widget with "Otra imagen" and the spoken
challenge."""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from PIL import Image, ImageChops, ImageDraw

# Upper case only (the answer is checked case-insensitively) and neither member of a pair
# people confuse once rotated: 0/O/Q/D, 1/I/L/J, 2/Z, 5/S, 6/G, 8/B.
LEGIBLE_CHARACTERS = "ACEFHKMNPRTUVWXY3479"
NOISE_COLOR = "#9aa5b4"  # lighter than the letters, so a line never reads as a stroke


def legible_challenge() -> tuple[str, str]:
    """CAPTCHA_CHALLENGE_FUNCT: (what the image shows, the expected answer)."""
    text = "".join(secrets.choice(LEGIBLE_CHARACTERS) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text.lower()


def noise_lines(draw: ImageDraw.ImageDraw, image: Image.Image) -> ImageDraw.ImageDraw:
    """CAPTCHA_NOISE_FUNCTIONS: three light lines across the image, behind the letters: drawn
    over them they cut the strokes and "C" reads as "L". simple-captcha seeds `random` with
    the challenge's key while drawing, so one key always gives one image."""
    width, height = image.size
    lines = Image.new("L", image.size, 0)
    pen = ImageDraw.Draw(lines)
    for _ in range(3):
        # `random`, not `secrets`: simple-captcha seeds it per key; the noise hides nothing.
        start = (0, random.randint(height // 4, height * 3 // 4))  # noqa: S311  # nosec B311
        end = (width, random.randint(height // 4, height * 3 // 4))  # noqa: S311  # nosec B311
        pen.line([start, end], fill=255, width=2)
    background = image.convert("L").point(lambda level: 255 if level > 200 else 0)
    image.paste(NOISE_COLOR, mask=ImageChops.multiply(lines, background))
    return draw


def new_challenge() -> tuple[str, float]:
    """A new challenge's hashkey and the Unix time it ends (a few seconds early, so a page
    never shows one that dies while it is read)."""
    hashkey = CaptchaStore.generate_key()
    minutes = int(captcha_settings.CAPTCHA_TIMEOUT)
    return hashkey, time.time() + minutes * 60 - 30


class CaptchaWidget(CaptchaTextInput):  # type: ignore[misc]
    """The image with its Spanish alt text, "Otra imagen" (shown by static/js/captcha.js, through
    our rate-limited /captcha/refresh/) and, when flite is installed, the spoken challenge."""

    template_name = "portal/includes/captcha.html"
    # The challenge to show, made beforehand (`new_challenge`) and kept by the page's flow, so
    # rendering reads and writes no row; "" makes one as simple-captcha does.
    hashkey = ""

    def fetch_captcha_store(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, generator: Any = None
    ) -> None:
        if not self.hashkey:
            super().fetch_captcha_store(name, value, attrs, generator)
            return
        self._value = [self.hashkey, ""]
        self._key = self.hashkey
        self.id_ = self.build_attrs(attrs or {}).get("id", None)

    @property
    def audio_available(self) -> bool:
        # simple-captcha reads CAPTCHA_FLITE_PATH once at import; ours is read per page.
        return bool(settings.CAPTCHA_FLITE_PATH)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        width, height = settings.CAPTCHA_IMAGE_SIZE
        audio = reverse("captcha-audio", kwargs={"key": self._key})
        context.update(
            audio=audio if self.audio_available else None,
            refresh_url=reverse("captcha-refresh"),
            image_width=width,
            image_height=height,
        )
        return context

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        # The form renderer's engine sees the apps' templates only, not templates/: the page
        # is rendered by the project's engine, its two inputs by the form renderer as usual.
        # Both outputs are markup their templates (or render_input) escaped already.
        self.fetch_captcha_store(name, value, attrs, self.generator)
        context = self.get_context(name, self._value, attrs)
        for sub in context["widget"]["subwidgets"]:
            if sub["type"] == "hidden":
                # The field's attributes (required, aria-describedby, autocomplete) are the
                # answer's: HTML allows none of them on a hidden input.
                sub["attrs"] = {k: v for k, v in sub["attrs"].items() if k == "id"}
        renderer = renderer or get_default_renderer()
        context["inputs"] = [
            mark_safe(renderer.render(sub["template_name"], {"widget": sub}))  # noqa: S308  # nosec B308, B703
            for sub in context["widget"]["subwidgets"]
        ]
        return mark_safe(render_to_string(self.template_name, context))  # noqa: S308  # nosec B308, B703
