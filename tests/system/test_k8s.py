"""Kubernetes manifests (deploy/k8s): every document is a valid Kubernetes object (checked
offline against the bundled schemas, no cluster and no kubectl needed), the production overlay
renders with `kubectl kustomize` when kubectl is installed, and what an operator relies on
holds in what would be applied: probes on the health URLs that the app answers, non-root
pods, one beat, placeholders only in the Secret, the HPA on the web Deployment.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.helpers import ROOT, current_database_url, fresh_env, manage

K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
# The oldest release still widely run by managed clusters; the manifests use nothing newer.
KUBERNETES_VERSION = "1.30"
PLACEHOLDER = "REPLACE-ME"

Document = dict[str, Any]


def load(path: Path) -> list[Document]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(folder: Path) -> Document:
    return load(folder / "kustomization.yaml")[0]


def key(doc: Document) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def merge(base: Any, patch: Any) -> Any:
    """A strategic merge patch as kustomize applies ours: maps merge, lists of named items
    (containers, env) merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for name, value in patch.items():
            merged[name] = merge(base[name], value) if name in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list):
        if all(isinstance(item, dict) and "name" in item for item in base + patch):
            by_name = {item["name"]: item for item in base}
            merged_list = [merge(by_name.get(item["name"], {}), item) for item in patch]
            patched = {item["name"] for item in patch}
            return [item for item in base if item["name"] not in patched] + merged_list
        return patch
    return patch


def base_documents() -> list[Document]:
    return [doc for name in kustomization(BASE)["resources"] for doc in load(BASE / name)]


def secret_template() -> Document:
    (secret,) = load(BASE / "secret.yaml")
    return secret


def patched_documents() -> list[Document]:
    """The production overlay without kubectl: the base with the overlay's patches merged in
    (names, images and the host copy are kustomize's own work, checked by the render test)."""
    docs = {key(doc): doc for doc in base_documents()}
    for patch in kustomization(PRODUCTION)["patches"]:
        for doc in load(PRODUCTION / patch["path"]):
            assert key(doc) in docs, f"{patch['path']} patches {key(doc)}, absent from the base"
            docs[key(doc)] = merge(docs[key(doc)], doc)
    return list(docs.values())


def rendered_documents() -> list[Document]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(PRODUCTION)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def production() -> list[Document]:
    """What `kubectl apply -k` would send; without kubectl, the base with the patches."""
    return rendered_documents() if shutil.which("kubectl") else patched_documents()


def the(docs: list[Document], kind: str, name: str | None = None) -> list[Document]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert found, f"no {kind} {name or ''} in the manifests"
    return found


def deployment(docs: list[Document], component: str) -> Document:
    return the(docs, "Deployment", f"alta-{component}")[0]


def validation_errors(docs: list[Document]) -> list[str]:
    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(copy.deepcopy(doc), KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            errors.append(f"{key(doc)} {where}: {error.message}")
    return errors


# --- The schema, offline ----------------------------------------------------------------------


def test_every_base_document_is_a_valid_kubernetes_object():
    docs = [*base_documents(), secret_template()]
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job",
            "ConfigMap", "Secret", "Ingress", "NetworkPolicy"} <= kinds  # fmt: skip
    assert validation_errors(docs) == []


def test_the_production_overlay_patched_in_is_still_valid():
    assert validation_errors(patched_documents()) == []


def test_the_validation_rejects_a_misspelt_field():
    """Strict mode is on: a typo in a field name (ignored by a lenient check) is an error."""
    web = copy.deepcopy(deployment(base_documents(), "web"))
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    assert "livenesProbe" in " ".join(validation_errors([web]))


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_the_production_overlay_renders_with_its_image_host_and_namespace():
    docs = rendered_documents()
    assert validation_errors(docs) == []
    host = the(docs, "ConfigMap", "alta-config")[0]["data"]["DJANGO_ALLOWED_HOSTS"].split(",")[0]
    ingress = the(docs, "Ingress", "alta")[0]
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]
    for doc in docs:
        assert doc["metadata"]["namespace"] == "alta", key(doc)
        for pod in pod_specs(doc):
            for container in pod.get("initContainers", []) + pod["containers"]:
                assert container["image"].startswith("registry.example.com/alta:"), key(doc)
                assert not container["image"].endswith(":latest"), key(doc)


# --- What an operator relies on ---------------------------------------------------------------


def pod_specs(doc: Document) -> list[Document]:
    if doc["kind"] in ("Deployment", "Job"):
        return [doc["spec"]["template"]["spec"]]
    return []


def test_web_probes_ask_the_health_urls_for_the_public_host_over_https(production):
    web = deployment(production, "web")["spec"]["template"]["spec"]["containers"][0]
    allowed = the(production, "ConfigMap", "alta-config")[0]["data"]["DJANGO_ALLOWED_HOSTS"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/salud/vivo/"
    assert web["startupProbe"]["httpGet"]["path"] == "/salud/vivo/"
    assert web["readinessProbe"]["httpGet"]["path"] == "/salud/"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed.split(","), probe
        assert headers["X-Forwarded-Proto"] == "https", probe


def test_links_in_emails_name_the_public_host_over_https(production):
    config = the(production, "ConfigMap", "alta-config")[0]["data"]
    base = urlsplit(config["PORTAL_BASE_URL"])
    assert base.scheme == "https" and not base.path
    assert base.hostname == config["DJANGO_ALLOWED_HOSTS"].split(",")[0]
    ingress = the(production, "Ingress", "alta")[0]
    assert base.hostname == ingress["spec"]["rules"][0]["host"]


@pytest.mark.django_db
def test_the_app_answers_the_web_probes_with_the_manifest_settings(production, tmp_path):
    """The probes as declared, sent to the app configured by the ConfigMap (DEBUG off, HTTPS
    redirect on, the public host only) with the suite's PostgreSQL and Redis: both 200."""
    web = deployment(production, "web")["spec"]["template"]["spec"]["containers"][0]
    probes = [
        {"path": web[p]["httpGet"]["path"],
         "headers": {h["name"]: h["value"] for h in web[p]["httpGet"]["httpHeaders"]}}
        for p in ("livenessProbe", "readinessProbe")
    ]  # fmt: skip
    config = the(production, "ConfigMap", "alta-config")[0]["data"]
    # The Secret's values and the external services' addresses are the suite's own.
    local = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "ALTA_PROBES": json.dumps(probes),
    }
    env = fresh_env(tmp_path, **{**config, **local})
    script = (
        "import json, os; from django.test import Client; "
        "print(json.dumps([Client().get(p['path'], headers=p['headers']).status_code "
        "for p in json.loads(os.environ['ALTA_PROBES'])]))"
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, 200], result.stderr


def test_worker_and_beat_have_liveness_probes(production):
    for component in ("worker", "beat"):
        container = deployment(production, component)["spec"]["template"]["spec"]["containers"][0]
        assert "exec" in container["livenessProbe"], component
    worker = deployment(production, "worker")["spec"]["template"]["spec"]["containers"][0]
    assert "inspect ping" in " ".join(worker["livenessProbe"]["exec"]["command"])


def test_every_pod_runs_as_a_non_root_user_without_privileges(production):
    pods = [(key(doc), pod) for doc in production for pod in pod_specs(doc)]
    assert len(pods) == 4  # web, worker, beat, migrate
    for name, pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        for container in pod.get("initContainers", []) + pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name


def test_every_pod_takes_its_settings_from_the_configmap_and_the_secret(production):
    for doc in production:
        for pod in pod_specs(doc):
            for container in pod.get("initContainers", []) + pod["containers"]:
                sources = container["envFrom"]
                assert {"configMapRef": {"name": "alta-config"}} in sources, key(doc)
                assert {"secretRef": {"name": "alta-secrets"}} in sources, key(doc)


def test_beat_runs_exactly_once_even_during_a_rollout(production):
    beat = deployment(production, "beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert not [h for h in the(production, "HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"]["name"] == "alta-beat"]  # fmt: skip


def test_the_hpa_scales_the_web_deployment_on_cpu(production):
    (hpa,) = the(production, "HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "alta-web")
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] >= 2  # one pod may be evicted (the PDB's minimum)
    # The HPA owns the count: a `replicas` in the Deployment would reset it on every apply.
    assert "replicas" not in deployment(production, "web")["spec"]


def test_the_disruption_budget_and_the_service_select_the_web_pods(production):
    web_labels = deployment(production, "web")["spec"]["template"]["metadata"]["labels"]
    (pdb,) = the(production, "PodDisruptionBudget")
    service = the(production, "Service", "alta-web")[0]
    for selector in (pdb["spec"]["selector"]["matchLabels"], service["spec"]["selector"]):
        assert selector.items() <= web_labels.items()
    assert pdb["spec"]["minAvailable"] >= 1


def test_the_migrate_job_runs_the_migrations_and_the_pods_wait_for_them(production):
    (job,) = the(production, "Job")
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert command == "python manage.py migrate_locked --noinput"
    for component in ("web", "worker", "beat"):
        pod = deployment(production, component)["spec"]["template"]["spec"]
        assert "migrate --check" in " ".join(pod["initContainers"][0]["command"]), component


def test_the_secret_is_a_template_of_placeholders_that_apply_never_sends(production):
    assert not [doc for doc in production if doc["kind"] == "Secret"]  # the real one stays
    secret = secret_template()
    assert "data" not in secret  # base64 would hide a real value from this check and readers
    values = secret["stringData"]
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_HOST_PASSWORD", "METRICS_TOKEN"} <= set(
        values
    )
    for name, value in values.items():
        if "://" in value:
            assert urlsplit(value).password == PLACEHOLDER, name
        else:
            assert value == PLACEHOLDER, name
    config = the(production, "ConfigMap", "alta-config")[0]["data"]
    assert not set(values) & set(config), "a secret also set in the ConfigMap"


def test_postgres_and_redis_are_named_external_services(production):
    for name in ("postgres", "redis"):
        service = the(production, "Service", name)[0]
        assert service["spec"]["type"] == "ExternalName"
    config = the(production, "ConfigMap", "alta-config")[0]["data"]
    assert config["TRUSTED_PROXY_COUNT"] == "1"  # the ingress controller
    # A managed Redis takes TLS and a password: its URL is a secret, never in the ConfigMap.
    assert "REDIS_URL" not in config
    redis = urlsplit(secret_template()["stringData"]["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.password) == ("rediss", "redis", PLACEHOLDER)


def manifest_env(tmp_path: Path, production: list[Document], **secrets: str) -> dict[str, str]:
    """A pod's environment as the manifests give it: the ConfigMap, then the Secret."""
    config = the(production, "ConfigMap", "alta-config")[0]["data"]
    return fresh_env(tmp_path, **{**config, **secret_template()["stringData"], **secrets})


def test_the_secret_templates_placeholders_cannot_start_the_app(production, tmp_path):
    result = manage("check", env=manifest_env(tmp_path, production))
    assert result.returncode != 0
    assert "Traceback" in result.stderr  # Django's; the operator reads its last line
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is a placeholder or "
        "an example value: give it a random value of 50+ characters, the same for web, "
        "worker and beat (docs/deploy.md)."
    )
    # The other placeholders are refused on their own too, once the key is real.
    key = secrets.token_urlsafe(50)
    metrics = manage("check", env=manifest_env(tmp_path, production, DJANGO_SECRET_KEY=key))
    assert "METRICS_TOKEN is a placeholder" in metrics.stderr.strip().splitlines()[-1]


def test_the_cache_keeps_the_managed_redis_scheme_and_password(production, tmp_path):
    password = secrets.token_urlsafe(16)
    filled = {
        name: value.replace(PLACEHOLDER, password if "://" in value else secrets.token_urlsafe(50))
        for name, value in secret_template()["stringData"].items()
    }
    show = (
        "from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL); print(s.CACHES['default']['LOCATION'])"
    )
    result = manage("shell", "-c", show, env=manifest_env(tmp_path, production, **filled))
    assert result.returncode == 0, result.stderr
    broker, cache = result.stdout.split()[-2:]
    assert broker == f"rediss://:{password}@redis:6380/0"
    assert cache.startswith(f"rediss://:{password}@redis:6380/1")


def test_the_broker_checks_the_managed_redis_certificate(production, tmp_path):
    """kombu takes a rediss:// URL with no TLS options as CERT_NONE (a warning, then any
    certificate): the broker's password would go to whoever answers for the host."""
    filled = {
        name: value.replace(PLACEHOLDER, secrets.token_urlsafe(50))
        for name, value in secret_template()["stringData"].items()
    }
    show = (
        "import ssl; from portal.celery import app; "
        "tls = app.connection_for_write().ssl; "
        "print(isinstance(tls, dict) and tls.get('ssl_cert_reqs') == ssl.CERT_REQUIRED)"
    )
    result = manage("shell", "-c", show, env=manifest_env(tmp_path, production, **filled))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "True", result.stdout + result.stderr
    assert "insecure SSL" not in result.stderr


def network_policies_of(production: list[Document], component: str) -> list[Document]:
    """The NetworkPolicies whose pod selector takes `component`'s pods."""
    workload = the(production, "Job")[0] if component == "migrate" else None
    labels = (workload or deployment(production, component))["spec"]["template"]["metadata"][
        "labels"
    ]

    def selects(selector: Document) -> bool:
        matched = selector.get("matchLabels", {}).items() <= labels.items()
        for rule in selector.get("matchExpressions", []):
            assert rule["operator"] == "In", rule
            matched = matched and labels.get(rule["key"]) in rule["values"]
        return matched

    return [p for p in the(production, "NetworkPolicy") if selects(p["spec"]["podSelector"])]


def test_only_the_ingress_controllers_namespace_reaches_web(production):
    (policy,) = network_policies_of(production, "web")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    # A namespace selector alone: any pod of that namespace, no pod of another.
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    web = deployment(production, "web")["spec"]["template"]["spec"]["containers"][0]
    assert rule["ports"] == [{"protocol": "TCP", "port": web["ports"][0]["containerPort"]}]


def test_nothing_may_connect_to_worker_beat_or_migrate(production):
    for component in ("worker", "beat", "migrate"):
        (policy,) = network_policies_of(production, component)
        assert policy["spec"]["policyTypes"] == ["Ingress"], component
        assert not policy["spec"].get("ingress"), component  # no rule: every connection denied
