"""The kubectl and helm packs: verb, risk and locator of each command."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Risk, Target
from airlock.classify.packs.kubernetes import PACKS, canonical_kind
from tests.classify.packs.support import run_pack, word

_word = word


def classify(line: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[Target]:
    return run_pack(PACKS, line, tmp_path, env)


def worst(targets: list[Target]) -> Target:
    return max(targets, key=lambda t: t.risk)


CUR = "kube:current/current"

CASES = [
    # reads
    ("kubectl get pods", "kubectl.read", Risk.READ, CUR),
    ("kubectl get pods -A", "kubectl.read", Risk.READ, "kube:current/*"),
    ("kubectl --context prod -n payments describe deploy web", "kubectl.read", Risk.READ,
     "kube:prod/payments"),
    ("kubectl logs -f web-1 -c app", "kubectl.read", Risk.READ, CUR),
    ("kubectl top nodes", "kubectl.read", Risk.READ, CUR),
    ("kubectl explain pods.spec", "kubectl.read", Risk.READ, CUR),
    ("kubectl config view --minify", "kubectl.config.read", Risk.READ, CUR),
    ("kubectl version --client", "kubectl.read", Risk.READ, CUR),
    ("kubectl api-resources", "kubectl.read", Risk.READ, CUR),
    ("kubectl diff -f app.yaml", "kubectl.read", Risk.READ, CUR),
    ("kubectl rollout status deploy/web", "kubectl.rollout.read", Risk.READ, CUR),
    ("kubectl auth can-i delete pods", "kubectl.read", Risk.READ, CUR),
    ("kubectl delete namespace prod --help", "kubectl.help", Risk.READ, CUR),
    ("kubectl delete pod x -h", "kubectl.help", Risk.READ, CUR),
    ("kubectl apply -f app.yaml --dry-run=server", "kubectl.dry-run", Risk.READ, CUR),
    # writes
    ("kubectl apply -f app.yaml", "kubectl.apply", Risk.WRITE, CUR),
    ("kubectl create deployment web --image=nginx", "kubectl.create", Risk.WRITE, CUR),
    ("kubectl apply -f app.yaml --dry-run=none", "kubectl.apply", Risk.WRITE, CUR),
    ("kubectl patch deploy web -p '{\"spec\":{}}'", "kubectl.patch", Risk.WRITE,
     "kube:current/current/deployment/web"),
    ("kubectl label pods foo env=prod", "kubectl.label", Risk.WRITE,
     "kube:current/current/pod/foo"),
    ("kubectl annotate deployment/web note=x", "kubectl.annotate", Risk.WRITE,
     "kube:current/current/deployment/web"),
    ("kubectl rollout restart deployment/web -n shop", "kubectl.rollout", Risk.WRITE,
     "kube:current/shop/deployment/web"),
    ("kubectl scale deploy web --replicas 3", "kubectl.scale", Risk.WRITE,
     "kube:current/current/deployment/web"),
    ("kubectl cordon node1", "kubectl.cordon", Risk.WRITE, "kube:current/current/node/node1"),
    ("kubectl exec -it web-1 -- sh -c 'rm -rf /tmp/x --help'", "kubectl.exec", Risk.WRITE,
     "kube:current/current/pod/web-1"),
    ("kubectl exec deploy/web -- ls", "kubectl.exec", Risk.WRITE,
     "kube:current/current/deployment/web"),
    ("kubectl port-forward svc/web 8080:80", "kubectl.port-forward", Risk.WRITE,
     "kube:current/current/service/web"),
    ("kubectl cp ./f web-1:/tmp/f", "kubectl.other", Risk.WRITE, CUR),
    ("kubectl config use-context prod", "kubectl.config.use-context", Risk.WRITE, "kube:prod"),
    ("kubectl delete pod web-1 -n shop", "kubectl.delete.pod", Risk.WRITE,
     "kube:current/shop/pod/web-1"),
    # destructive
    # a volume claim or volume: its data goes with it (reclaim policy Delete)
    ("kubectl delete pvc data-db-0 -n db --context=prod", "kubectl.delete.volume",
     Risk.CATASTROPHIC, "kube:prod/db/persistentvolumeclaim/data-db-0"),
    ("kubectl delete pv pv-1", "kubectl.delete.volume", Risk.CATASTROPHIC,
     "kube:current/current/persistentvolume/pv-1"),
    ("kubectl delete statefulset db", "kubectl.delete", Risk.DESTRUCTIVE,
     "kube:current/current/statefulset/db"),
    ("kubectl delete deployments.apps web", "kubectl.delete", Risk.DESTRUCTIVE,
     "kube:current/current/deployment/web"),
    ("kubectl -n=prod delete secret s1", "kubectl.delete", Risk.DESTRUCTIVE,
     "kube:current/prod/secret/s1"),
    ("kubectl delete -f manifest.yaml", "kubectl.delete.manifest", Risk.DESTRUCTIVE, CUR),
    ("kubectl delete pod web-1 --force --grace-period=0", "kubectl.delete.pod.force",
     Risk.DESTRUCTIVE, "kube:current/current/pod/web-1"),
    ("kubectl drain node1 --ignore-daemonsets --delete-emptydir-data", "kubectl.drain",
     Risk.DESTRUCTIVE, "kube:current/current/node/node1"),
    ("kubectl scale deploy web --replicas=0", "kubectl.scale.zero", Risk.DESTRUCTIVE,
     "kube:current/current/deployment/web"),
    ("kubectl apply -f app.yaml --prune -l app=web", "kubectl.apply.prune", Risk.DESTRUCTIVE,
     CUR),
    ("kubectl replace --force -f app.yaml", "kubectl.replace.force", Risk.DESTRUCTIVE, CUR),
    # catastrophic
    ("kubectl delete namespace payments --context prod", "kubectl.delete.namespace",
     Risk.CATASTROPHIC, "kube:prod/payments"),
    ("kubectl delete ns staging", "kubectl.delete.namespace", Risk.CATASTROPHIC,
     "kube:current/staging"),
    ("oc delete project foo", "kubectl.delete.namespace", Risk.CATASTROPHIC, "kube:current/foo"),
    ("kubectl delete pods --all -n prod", "kubectl.delete.all", Risk.CATASTROPHIC,
     "kube:current/prod/pod/*"),
    ("kubectl delete deploy -A -l app=x", "kubectl.delete.all-namespaces", Risk.CATASTROPHIC,
     "kube:current/*/deployment/*"),
    ("kubectl delete crd certificates.cert-manager.io", "kubectl.delete.crd", Risk.CATASTROPHIC,
     "kube:current/current/customresourcedefinition/certificates.cert-manager.io"),
    # helm
    ("helm list -A", "helm.read", Risk.READ, "kube:current/*"),
    ("helm status web -n shop", "helm.read", Risk.READ, "kube:current/shop"),
    ("helm template web ./chart", "helm.read", Risk.READ, CUR),
    ("helm get values web --kube-context prod", "helm.read", Risk.READ, "kube:prod/current"),
    ("helm uninstall web --help", "helm.help", Risk.READ, CUR),
    ("helm install web ./chart --dry-run", "helm.dry-run", Risk.READ, CUR),
    ("helm upgrade --install web ./chart -n shop -f values.yaml", "helm.install", Risk.WRITE,
     "kube:current/shop/release/web"),
    ("helm rollback web 3 --kube-context=prod -n shop", "helm.rollback", Risk.WRITE,
     "kube:prod/shop/release/web"),
    ("helm repo add bitnami https://charts.bitnami.com", "helm.local", Risk.WRITE, "helm:local"),
    ("helm uninstall web -n shop --kube-context prod", "helm.uninstall", Risk.DESTRUCTIVE,
     "kube:prod/shop/release/web"),
    ("helm delete web", "helm.uninstall", Risk.DESTRUCTIVE, "kube:current/current/release/web"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "verb", "risk", "locator"), CASES, ids=[c[0] for c in CASES])
def test_verb_risk_and_locator(
    line: str, verb: str, risk: Risk, locator: str, tmp_path: Path
) -> None:
    target = worst(classify(line, tmp_path))
    assert (target.verb, target.risk, target.locator) == (verb, risk, locator)
    if target.risk >= Risk.DESTRUCTIVE:
        assert not target.reversible


KINDS = [
    ("po", "pod"), ("pods", "pod"), ("ns", "namespace"), ("deployments.apps", "deployment"),
    ("ingresses", "ingress"), ("networkpolicies", "networkpolicy"),
    ("pvc", "persistentvolumeclaim"), ("storageclasses", "storageclass"),
    ("endpoints", "endpoints"), ("Service", "service"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_kind_names_are_canonical(text: str, kind: str) -> None:
    assert canonical_kind(text) == kind


def test_each_type_of_a_mixed_delete_is_classified_on_its_own(tmp_path: Path) -> None:
    targets = classify("kubectl delete pod/a svc/b ns/c", tmp_path)
    assert [(t.kind, t.name, t.risk) for t in targets] == [
        ("pod", "a", Risk.WRITE),
        ("service", "b", Risk.DESTRUCTIVE),
        ("namespace", "c", Risk.CATASTROPHIC),
    ]


def test_comma_separated_types_share_the_names(tmp_path: Path) -> None:
    targets = classify("kubectl delete deploy,svc web", tmp_path)
    assert [t.locator for t in targets] == [
        "kube:current/current/deployment/web",
        "kube:current/current/service/web",
    ]


def test_delete_by_selector_is_unresolved_with_the_selector_in_the_detail(
    tmp_path: Path,
) -> None:
    target = classify("kubectl delete deploy -l app=web", tmp_path)[0]
    assert target.unresolved
    assert "selector app=web" in target.detail


def test_resource_type_from_a_variable_is_the_worst_case(tmp_path: Path) -> None:
    target = worst(classify("kubectl delete $KIND web", tmp_path))
    assert target.risk == Risk.CATASTROPHIC
    assert target.unresolved


def test_namespace_from_a_variable_is_unresolved(tmp_path: Path) -> None:
    target = classify("kubectl --namespace=$NS delete secret s1", tmp_path)[0]
    assert target.unresolved
    assert target.risk == Risk.DESTRUCTIVE


def test_replica_count_from_a_variable_is_the_worst_case(tmp_path: Path) -> None:
    target = classify("kubectl scale deploy/web --replicas=$N", tmp_path)[0]
    assert target.risk == Risk.DESTRUCTIVE


def test_helm_context_and_namespace_come_from_the_environment(tmp_path: Path) -> None:
    env = {"HELM_KUBECONTEXT": "prod", "HELM_NAMESPACE": "shop"}
    target = classify("helm uninstall web", tmp_path, env)[0]
    assert target.locator == "kube:prod/shop/release/web"


def test_kubeconfig_goes_in_the_detail(tmp_path: Path) -> None:
    target = classify("kubectl --kubeconfig ~/.kube/prod delete ns x", tmp_path)[0]
    assert "kubeconfig ~/.kube/prod" in target.detail
