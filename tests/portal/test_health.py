import pytest


@pytest.mark.django_db
def test_health_reports_database_and_redis_ok_without_a_worker_as_503(client):
    response = client.get("/salud/")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    # No Celery worker runs in this test: the page says so and answers 503.
    assert body["checks"]["celery"].startswith("error")
    assert response.status_code == 503


@pytest.mark.worker
def test_health_is_200_with_a_worker_running(client, celery_worker):
    from portal.celery import app

    for _ in range(60):
        if app.control.ping(timeout=0.5):
            break
    response = client.get("/salud/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_home_offers_clientes_and_agentes(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Clientes" in response.text and "Agentes" in response.text
