import pytest

from portal import ratelimit

CAPTCHA_REFRESHES_PER_HOUR = ratelimit.rule("captcha_refresh", "ip").limit


@pytest.mark.django_db
def test_captcha_refresh_is_rate_limited_per_ip(client):
    from captcha.models import CaptchaStore

    ajax = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    for _ in range(CAPTCHA_REFRESHES_PER_HOUR):
        response = client.get("/captcha/refresh/", **ajax)
        assert response.status_code == 200 and response.json()["key"]
    made = CaptchaStore.objects.count()
    refused = client.get("/captcha/refresh/", **ajax)
    assert refused.status_code == 429
    assert CaptchaStore.objects.count() == made  # no new challenge handed out
    other_ip = client.get("/captcha/refresh/", REMOTE_ADDR="10.9.8.7", **ajax)
    assert other_ip.status_code == 200
