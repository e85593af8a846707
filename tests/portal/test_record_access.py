"""Who looked (issue 21): opening a client's (Person) or an agent's record in admin writes
one append-only RecordAccess row per opening (who, when, which record, never its values),
which only superusers read, and which the database refuses to change or delete."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, transaction

from portal.models import RecordAccess, User

pytestmark = pytest.mark.django_db


def staff_with(*codenames: str, username: str = "auditora") -> User:
    user = User.objects.create_user(username, f"{username}@back.test", "x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_each_opening_of_a_persons_record_is_logged_with_its_viewer(client, make_person):
    person = make_person()
    viewer = staff_with("view_person", "change_person")
    client.force_login(viewer)
    url = f"/admin/registration/person/{person.pk}/change/"

    for _ in range(2):
        assert client.get(url).status_code == 200

    rows = list(
        RecordAccess.objects.order_by("pk").values("viewer", "action", "model", "object_pk")
    )
    assert rows == 2 * [
        {"viewer": viewer.pk, "action": "consulta", "model": "registration.person",
         "object_pk": str(person.pk)},
    ]  # fmt: skip
    # The list, a missing record and a save are not openings of a record.
    client.get("/admin/registration/person/")
    client.get("/admin/registration/person/999999/change/")
    assert RecordAccess.objects.count() == 2


def test_opening_an_agents_record_is_logged_and_keeps_no_personal_value(client, make_agent):
    agent = make_agent()
    viewer = staff_with("view_agent")
    client.force_login(viewer)

    assert client.get(f"/admin/agents/agent/{agent.pk}/change/").status_code == 200

    row = RecordAccess.objects.get()
    assert (row.viewer, row.model, row.object_pk) == (viewer, "agents.agent", str(agent.pk))
    stored = " ".join(str(v) for v in RecordAccess.objects.values().get().values())
    for value in (agent.rfc, agent.email, agent.nombre, agent.apellido_paterno):
        assert value not in stored


def test_only_superusers_see_the_log_in_admin_and_nobody_changes_it(client, make_agent):
    agent = make_agent()
    # Even a staff member given every permission on the log itself.
    reviewer = staff_with(
        "view_agent", "view_recordaccess", "change_recordaccess", "delete_recordaccess",
        "add_recordaccess",
    )  # fmt: skip
    client.force_login(reviewer)
    client.get(f"/admin/agents/agent/{agent.pk}/change/")
    row = RecordAccess.objects.get()
    assert client.get("/admin/portal/recordaccess/").status_code == 403
    assert client.get(f"/admin/portal/recordaccess/{row.pk}/change/").status_code == 403
    assert "recordaccess" not in client.get("/admin/").text

    root = User.objects.create_superuser("directora", "directora@back.test", "x")
    client.force_login(root)
    listing = client.get("/admin/portal/recordaccess/")
    assert listing.status_code == 200 and "auditora" in listing.text
    page = client.get(f"/admin/portal/recordaccess/{row.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert client.get("/admin/portal/recordaccess/add/").status_code == 403
    assert client.get(f"/admin/portal/recordaccess/{row.pk}/delete/").status_code == 403


def test_the_database_refuses_to_change_or_delete_the_log(make_agent):
    viewer = staff_with("view_agent")
    row = RecordAccess.objects.create(viewer=viewer, action="consulta", model="agents.agent",
                                      object_pk="1")  # fmt: skip
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RecordAccess.objects.filter(pk=row.pk).update(object_pk="2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RecordAccess.objects.all()._raw_delete(RecordAccess.objects.db)
    assert RecordAccess.objects.get().object_pk == "1"
