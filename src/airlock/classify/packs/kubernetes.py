"""Kubernetes: ``kubectl`` (and OpenShift's ``oc``) and ``helm``.

Resource arguments are read the way kubectl reads them: ``delete pod a b``, ``delete
pod/a svc/b``, ``delete pods,services -l app=x``; type names are made canonical
(``po``/``pods`` → ``pod``, ``ns`` → ``namespace``, ``deployments.apps`` →
``deployment``), so the rules below are written once per kind. A command naming
several types is classified once per type.

Risk choices:

- Deleting a namespace (an OpenShift project), a CustomResourceDefinition (every object
  of that type goes with it), anything with ``--all``, or anything across
  ``--all-namespaces``/``-A``: catastrophic. So is a delete whose resource type comes
  from a variable. So is deleting a PersistentVolumeClaim or PersistentVolume: with the
  default reclaim policy (``Delete``) the volume and its data go with it — a production
  volume deleted, as in the incident, only through a PaaS's API instead (the kubeconfig is
  never read, so a ``Retain`` policy cannot be seen).
- Deleting a pod is a write: a controller recreates a managed pod, and agents delete
  pods to restart them. ``--force`` skips graceful termination (a StatefulSet pod may
  briefly run twice): destructive. Events are a write too.
- Deleting anything else (StatefulSet, Deployment, Secret, ConfigMap, Service…) and
  deleting from a manifest (``-f``/``-k``) is destructive.
- ``drain`` evicts every pod and loses emptyDir data: destructive; ``cordon`` is a
  write. ``scale --replicas=0`` (or a replica count from a variable) is destructive.
- ``apply --prune`` deletes objects missing from the manifests, ``replace --force``
  deletes and recreates: destructive. ``--dry-run=client|server`` changes nothing: read.
- ``helm uninstall`` deletes every object of the release: destructive.

Locators: the base is ``kube:<context>/<namespace>`` from ``--context`` and
``-n/--namespace`` (``--kube-context``, ``HELM_KUBECONTEXT`` and ``HELM_NAMESPACE``
for helm). The kubeconfig is never read: an unnamed context or namespace is
``current``, and ``-A`` is namespace ``*``. A resource is
``kube:<context>/<namespace>/<kind>/<name>``, a namespace ``kube:<context>/<name>``,
a helm release ``kube:<context>/<namespace>/release/<name>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs.base import Pack, Rule, rule

Options = dict[str, list[Word | None]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KUBECTL_VALUES = _words(
    "-n --namespace --context --cluster --user --kubeconfig -s --server --token --as"
    " --as-group --as-uid --request-timeout --certificate-authority --client-certificate"
    " --client-key --tls-server-name --cache-dir -v --v --profile --profile-output"
    " -l --selector -f --filename -k --kustomize -o --output -c --container --field-selector"
    " --grace-period --timeout --replicas --current-replicas --resource-version -p --patch"
    " --patch-file --type --image --port --for --since --since-time --tail --max-log-requests"
    " --to-revision --revision --overrides --env --sort-by --template -L --label-columns"
    " --chunk-size --raw --subresource --pod-running-timeout --address --prune-allowlist"
    " --field-manager --min --max --cpu-percent --target-port --protocol --name --from"
    " --from-literal --from-file --docker-server --docker-username --docker-password"
    " --serviceaccount --show-kind"
)

_HELM_VALUES = _words(
    "-n --namespace --kube-context --kubeconfig -f --values --set --set-string --set-file"
    " --set-json --set-literal --version --repo --timeout -o --output --revision"
    " --post-renderer --post-renderer-args --description --history-max --max --username"
    " --password --ca-file --cert-file --key-file --keyring --registry-config"
    " --repository-config --repository-cache --burst-limit --qps --kube-apiserver"
    " --kube-token --kube-as-user --kube-as-group --kube-ca-file --kube-tls-server-name"
    " --name-template -l --selector --cascade --wait-for"
)

# Short names and plurals kubectl accepts, with the few plurals the generic rule misses.
_KIND_ALIASES = {
    "po": "pod", "ns": "namespace", "project": "namespace", "projects": "namespace",
    "deploy": "deployment", "sts": "statefulset", "ds": "daemonset", "rs": "replicaset",
    "rc": "replicationcontroller", "pvc": "persistentvolumeclaim",
    "pv": "persistentvolume", "svc": "service", "cm": "configmap", "ing": "ingress",
    "ingresses": "ingress", "crd": "customresourcedefinition",
    "crds": "customresourcedefinition", "sa": "serviceaccount", "no": "node",
    "cj": "cronjob", "hpa": "horizontalpodautoscaler", "netpol": "networkpolicy",
    "pdb": "poddisruptionbudget", "sc": "storageclass", "ev": "event", "ep": "endpoints",
    "endpoints": "endpoints", "limits": "limitrange", "quota": "resourcequota",
    "csr": "certificatesigningrequest", "pc": "priorityclass", "ds.apps": "daemonset",
}  # fmt: skip

# Verbs whose arguments are TYPE NAME... (or TYPE/NAME...), and where the type stands.
_TYPED = {
    "delete": 1, "get": 1, "describe": 1, "edit": 1, "patch": 1, "label": 1, "annotate": 1,
    "scale": 1, "expose": 1, "autoscale": 1, "taint": 1, "wait": 1, "rollout": 2, "set": 2,
}  # fmt: skip
_ASSIGNS = frozenset({"label", "annotate", "taint", "set"})  # also take key=value words


def canonical_kind(text: str) -> str:
    """``pods`` → ``pod``, ``deployments.apps`` → ``deployment``, ``ns`` → ``namespace``."""
    text = text.lower()
    if text in _KIND_ALIASES:
        return _KIND_ALIASES[text]
    text = text.split(".", 1)[0]
    if text in _KIND_ALIASES:
        return _KIND_ALIASES[text]
    if text.endswith("sses"):
        return text[:-2]
    if text.endswith("ies"):
        return text[:-3] + "y"
    if text.endswith("s") and not text.endswith("ss"):
        return text[:-1]
    return text


def split_kube(args: Sequence[Word], takes_value: frozenset[str]) -> tuple[list[Word], Options]:
    """:func:`split_options` with kubectl's (pflag's) details.

    ``--namespace=$NS`` is an option with an unknown value (not a positional), ``-n=prod``
    means ``prod``, and every option with a value also appears as ``--opt=value`` (lower
    case; ``--opt=$?`` when unknown) so a rule can ask for ``--replicas=0``.
    """
    positionals, options = split_options(args, takes_value)
    kept: list[Word] = []
    for w in positionals:
        name, eq, value = w.text.partition("=")
        if w.dynamic and eq and name.startswith("-") and DYNAMIC not in name:
            options.setdefault(name, []).append(Word(value, dynamic=DYNAMIC in value))
        else:
            kept.append(w)
    out: Options = {}
    for name, values in options.items():
        for v in values:
            if v is not None and len(name) == 2 and v.text.startswith("="):
                v = Word(v.text[1:], v.dynamic, v.glob)
            out.setdefault(name, []).append(v)
            if v is not None:
                key = f"{name}=$?" if v.dynamic else f"{name}={v.text.lower()}"
                out.setdefault(key, []).append(v)
    return kept, out


def resource_groups(positionals: list[Word]) -> list[list[Word]]:
    """One positional list per resource type: ``[delete, pod/a, svc/b]`` →
    ``[[delete, pod, a], [delete, service, b]]``; ``[delete, pods,svc, x]`` →
    ``[[delete, pod, x], [delete, service, x]]``. Types are canonical; a type from a
    variable stays as it is (rules then take the worst case)."""
    if not positionals or positionals[0].dynamic or positionals[0].text not in _TYPED:
        return [positionals]
    verb = positionals[0].text
    n = _TYPED[verb]
    head, rest = positionals[:n], positionals[n:]
    if verb in _ASSIGNS:
        rest = [w for w in rest if w.dynamic or not ("=" in w.text or w.text.endswith("-"))]
    if not rest:
        return [head]
    first = rest[0]
    if "/" in first.text and DYNAMIC not in first.text.partition("/")[0]:
        groups: dict[str, list[Word]] = {}
        for w in rest:
            kind, slash, name = w.text.partition("/")
            if not slash or DYNAMIC in kind:
                return [positionals]  # mixed forms: kubectl refuses; keep the worst case
            groups.setdefault(canonical_kind(kind), []).append(Word(name, DYNAMIC in name, w.glob))
        return [[*head, Word(kind), *names] for kind, names in groups.items()]
    if first.dynamic:
        return [[*head, *rest]]
    return [[*head, Word(canonical_kind(k)), *rest[1:]] for k in first.text.split(",") if k]


def _value(options: Options, names: tuple[str, ...]) -> str:
    found = ""
    for name in names:
        for v in options.get(name, []):
            if v is not None:
                found = v.text
    return found


def _env(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> str:
    if not name:
        return ""
    if name in cmd.env:
        return cmd.env[name].text
    return ctx.environ.get(name, "")


@dataclass
class KubePack(Pack):
    """kubectl and helm: the base target is the context and namespace the command acts in."""

    context_options: tuple[str, ...] = ("--context",)
    namespace_options: tuple[str, ...] = ("-n", "--namespace")
    context_env: str = ""
    namespace_env: str = ""
    typed: bool = False  # arguments are TYPE NAME... (kubectl)
    details: tuple[tuple[str, tuple[str, ...], str], ...] = field(default=())

    def where(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> tuple[str, str]:
        context = _value(options, self.context_options) or _env(cmd, ctx, self.context_env)
        namespace = _value(options, self.namespace_options) or _env(cmd, ctx, self.namespace_env)
        if "-A" in options or "--all-namespaces" in options:
            namespace = "*"
        return context or "current", namespace or "current"

    def base_locator(
        self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext
    ) -> tuple[str, str]:
        context, namespace = self.where(cmd, options, ctx)
        return f"{context}/{namespace}", f"kube:{context}/{namespace}"

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_kube(cmd.args, self.takes_value)
        groups = resource_groups(positionals) if self.typed else [positionals]
        targets: list[Target] = []
        for group in groups:
            chosen = next((r for r in self.all_rules() if r.matches(group, options)), None)
            chosen = chosen or self.default or Rule(f"{self.name}.other", Risk.WRITE)
            targets.extend(self.targets_for(chosen, cmd, group, options, ctx))
        return targets

    def targets_for(
        self,
        rule: Rule,
        cmd: SimpleCommand,
        positionals: Sequence[Word],
        options: Options,
        ctx: ClassifyContext,
    ) -> list[Target]:
        context, namespace = self.where(cmd, options, ctx)
        kind = rule.kind
        if not kind and self.typed and positionals and positionals[0].text in _TYPED:
            n = _TYPED[positionals[0].text]
            kind = positionals[n].text if len(positionals) > n else ""
        kind = kind or self.kind
        template = rule.locator or ("{base}/{kind}/{name}" if rule.target else "")
        locator = (
            template.replace("{kind}", kind)
            .replace("{context}", context)
            .replace("{namespace}", namespace)
        )
        shown_kind = kind.replace(DYNAMIC, "$?")
        verb = positionals[0].text if positionals and not positionals[0].dynamic else "other"
        specialised = replace(
            rule, verb=rule.verb.replace("{verb}", verb), kind=shown_kind, locator=locator
        )
        targets = super().targets_for(specialised, cmd, positionals, options, ctx)
        extra = ", ".join(
            f"{label} {value}"
            for label, names, env in self.details
            if (value := _value(options, names).replace(DYNAMIC, "$?") or _env(cmd, ctx, env))
        )
        for t in targets:
            if rule.kind == "pod" and "/" in t.name and not t.unresolved:
                # exec/logs/port-forward deploy/web: kubectl picks a pod of that object
                owner, _, name = t.name.partition("/")
                t.kind, t.name = canonical_kind(owner), name
                t.locator = f"kube:{context}/{namespace}/{t.kind}/{name}"
            if DYNAMIC in t.locator:
                t.unresolved = True
            if extra:
                t.detail = f"{t.detail}; {extra}" if t.detail else extra
        return targets


_ANY_NS = "--all-namespaces|-A"
_DRY_RUN = rule(
    "{tool}.dry-run", "read", flags="--dry-run", without="--dry-run=none|--dry-run=false"
)

_KUBECTL_RULES = (
    rule("kubectl.help", "read", flags="--help|-h"),
    replace(_DRY_RUN, verb="kubectl.dry-run"),
    # delete, worst first
    rule("kubectl.delete.all-namespaces", "catastrophic", "delete", flags=_ANY_NS,
         target="const:*", detail="in every namespace"),
    rule("kubectl.delete.all", "catastrophic", "delete", "*", flags="--all", target="const:*",
         detail="every object of the type"),
    rule("kubectl.delete.namespace", "catastrophic", "delete", "namespace", target="args",
         locator="kube:{context}/{name}", detail="deletes everything in the namespace"),
    rule("kubectl.delete.crd", "catastrophic", "delete", "customresourcedefinition",
         target="args", detail="deletes every object of that type, cluster-wide"),
    rule("kubectl.delete.volume", "catastrophic", "delete",
         "persistentvolumeclaim|persistentvolume", target="args",
         detail="the volume's data goes with it (reclaim policy Delete)"),
    rule("kubectl.delete.pod.force", "destructive", "delete", "pod", flags="--force|--now",
         target="args", detail="skips graceful termination"),
    rule("kubectl.delete.pod", "write", "delete", "pod|event", target="args",
         detail="a controller recreates a managed pod"),
    rule("kubectl.delete", "destructive", "delete", "*", target="args"),
    rule("kubectl.delete.manifest", "destructive", "delete", flags="-f|--filename|-k|--kustomize",
         target="opt:-f|--filename|-k|--kustomize", kind="manifest", locator="{base}"),
    rule("kubectl.delete.unknown-kind", "catastrophic", "delete", args="*", target="args",
         detail="resource type unknown"),
    rule("kubectl.delete", "destructive", "delete", target="args"),
    # other writes that lose something
    rule("kubectl.drain", "destructive", "drain", target="args", kind="node",
         detail="evicts every pod; emptyDir data is lost"),
    rule("kubectl.scale.zero", "destructive", "scale", "*", flags="--replicas=0|--replicas=$?",
         target="args", detail="scales to zero (or to a count we cannot see)"),
    rule("kubectl.apply.prune", "destructive", "apply", flags="--prune",
         detail="deletes objects missing from the manifests"),
    rule("kubectl.replace.force", "destructive", "replace", flags="--force",
         detail="deletes and recreates the objects"),
    # writes
    rule("kubectl.{verb}", "write", "apply|create|replace"),
    rule("kubectl.{verb}", "write", "scale|autoscale|edit|patch|label|annotate|expose|taint", "*",
         target="args"),
    rule("kubectl.cordon", "write", "cordon|uncordon", target="args", kind="node"),
    rule("kubectl.rollout.read", "read", "rollout", "status|history"),
    rule("kubectl.rollout", "write", "rollout", "*", "*", target="args"),
    rule("kubectl.set", "write", "set", "*", "*", target="args"),
    rule("kubectl.{verb}", "write", "exec|attach|port-forward|debug|run", target="arg:0",
         kind="pod"),
    rule("kubectl.config.use-context", "write", "config", "use-context|use", target="arg:0",
         kind="context", locator="kube:{name}"),
    rule("kubectl.config.read", "read", "config",
         "view|get-contexts|current-context|get-clusters|get-users"),
    # reads
    rule("kubectl.read", "read",
         "get|describe|logs|top|explain|version|api-resources|api-versions|diff|cluster-info|"
         "events|wait|kustomize|completion|options"),
    rule("kubectl.read", "read", "auth", "can-i|whoami"),
    rule("kubectl.read", "read", "plugin", "list"),
)  # fmt: skip

_RELEASE = "{base}/release/{name}"

_HELM_RULES = (
    rule("helm.help", "read", flags="--help|-h"),
    replace(_DRY_RUN, verb="helm.dry-run"),
    rule("helm.uninstall", "destructive", "uninstall|delete|del|un", target="args",
         kind="release", locator=_RELEASE, detail="deletes every object of the release"),
    rule("helm.rollback", "write", "rollback", target="arg:0", kind="release",
         locator=_RELEASE),
    rule("helm.install", "write", "install|upgrade|test", target="arg:0", kind="release",
         locator=_RELEASE),
    rule("helm.read", "read",
         "list|ls|status|get|template|history|hist|show|inspect|search|version|env|lint|"
         "verify|help|completion"),
    rule("helm.read", "read", "repo|dependency|dep|plugin", "list|ls"),
    rule("helm.local", "write",
         "repo|dependency|dep|plugin|registry|pull|fetch|package|push|create",
         target="const:helm", kind="local", locator="helm:local"),
)  # fmt: skip

PACKS: list[Pack] = [
    KubePack(
        name="kubectl",
        programs=("kubectl", "oc"),
        rules=_KUBECTL_RULES,
        kind="namespace",
        takes_value=_KUBECTL_VALUES,
        default=rule("kubectl.other", "write"),
        typed=True,
        details=(
            ("selector", ("-l", "--selector"), ""),
            ("kubeconfig", ("--kubeconfig",), "KUBECONFIG"),
            ("as", ("--as",), ""),
        ),
        description="Kubernetes CLI (and OpenShift oc)",
    ),
    KubePack(
        name="helm",
        programs=("helm",),
        rules=_HELM_RULES,
        kind="namespace",
        takes_value=_HELM_VALUES,
        default=rule("helm.other", "write"),
        context_options=("--kube-context",),
        context_env="HELM_KUBECONTEXT",
        namespace_env="HELM_NAMESPACE",
        details=(("kubeconfig", ("--kubeconfig",), "KUBECONFIG"),),
        description="Helm package manager for Kubernetes",
    ),
]
