"""The catalogue: programs known to be harmless in development. Data only.

A program that has no pack is looked up here before it is judged by its arguments
(:mod:`airlock.classify.unknown`). An entry is either

- ``None``: the program is harmless whatever its arguments (compilers, builders, test
  runners, formatters, linters, archivers, text tools): it works on the workspace it
  runs in, so ``make clean`` or ``cargo clean`` stay ordinary development; or
- a set of subcommands (the first word that is not an option) that are harmless:
  package managers' read, install and project-dependency verbs. Any other subcommand of
  such a program (``npm unpublish``, ``gh repo delete``, ``apt-get purge``) is judged by
  its arguments like a program Airlock does not know.

Removing a project's own dependencies (``npm uninstall``, ``npm prune``, ``pip
uninstall``, ``cargo remove``, ``poetry remove``) only changes the manifest, the lock
file and the dependency directory, which a reinstall restores: those verbs are listed.
Verbs that act on a registry (``npm unpublish``, ``npm owner rm``, ``cargo yank``) or on
the machine (``apt-get remove``, ``brew uninstall``, ``rustup toolchain uninstall``) are
not, and are held when their words say they destroy.

Read-only utilities (``ls``, ``cat``, ``grep``, ``jq``…) are reads, listed in
:data:`airlock.classify.dispatch.READ_ONLY`; what is here is a workspace write
(allowed by the default policy). A pack for a program (built-in or a ``[[packs]]`` entry
in airlock.toml) always comes first: the catalogue is only asked about programs no pack
knows.
"""

from __future__ import annotations

from collections.abc import Iterable

Harmless = frozenset[str] | None


def _any(programs: str) -> dict[str, Harmless]:
    return dict.fromkeys(programs.split(), None)


def _verbs(programs: str, verbs: str) -> dict[str, Harmless]:
    allowed = frozenset(verbs.split())
    return dict.fromkeys(programs.split(), allowed)


def _merge(*parts: dict[str, Harmless]) -> dict[str, Harmless]:
    out: dict[str, Harmless] = {}
    for part in parts:
        for name, verbs in part.items():
            if name in out:
                raise ValueError(f"catalogue: {name} is listed twice")
            out[name] = verbs
    return out


_NPM_VERBS = """
    install i in ci add isntall update up upgrade dedupe ddp prune uninstall remove rm r un
    unlink link ln ls list ll la outdated view info show v why explain audit fund doctor
    test t tst run run-script rum urn start stop restart build init create innit pack
    rebuild rb cache config c get set help search s find root prefix bin whoami version
    query pkg set-script completion exec-env
"""

CATALOGUE: dict[str, Harmless] = _merge(
    # ---- compilers and language toolchains -------------------------------------------
    _any("gcc g++ cc c++ clang clang++ clang-cl cpp tcc rustc javac kotlinc "
         "scalac ghc ocaml ocamlfind ocamlopt dune swiftc zig nasm yasm as ld "
         "lld go gofmt goimports tsc protoc buf flatc thrift elixirc erlc crystal nim "
         "dart flutter v odin ldc2 dmd gfortran fpc"),
    # ---- build systems and task runners of the project (they run the project's own
    # code, which Airlock does not read either when it runs as ./scripts/x) -----------
    _any("make gmake bmake cmake ctest cpack ninja meson bazel bazelisk buck buck2 scons "
         "gradle gradlew mvn mvnw ant sbt mill lein boot msbuild xcodebuild xcrun "
         "autoreconf autoconf automake configure libtool pkg-config ccache "
         "sccache just task mage earthly tup redo waf premake5 xmake"),
    # ---- JavaScript bundlers, frameworks' CLIs and monorepo tools ---------------------
    _any("webpack webpack-cli vite vitest rollup esbuild parcel swc babel tsup "
         "next nuxi nuxt astro ng vue-cli-service react-scripts expo turbo nx lerna "
         "storybook gatsby remix svelte-kit ember"),
    # ---- test runners ------------------------------------------------------------------
    _any("pytest py.test tox nox jest mocha ava karma tap rspec cucumber behave phpunit "
         "pest codecept playwright cypress bats shellspec hypothesis coverage nyc c8 "
         "gotestsum ginkgo"),
    # ---- formatters, linters, type checkers, docs --------------------------------------
    _any("black isort ruff flake8 pylint mypy dmypy pyright pyre pytype bandit autopep8 "
         "autoflake yapf pydocstyle pycodestyle pyflakes vulture radon prettier eslint "
         "tslint stylelint biome rome dprint oxlint rustfmt clippy-driver golangci-lint "
         "staticcheck revive shellcheck shfmt hadolint clang-format clang-tidy cpplint "
         "cppcheck rubocop standardrb swiftlint swiftformat ktlint detekt markdownlint "
         "markdownlint-cli2 yamllint taplo codespell typos pre-commit commitlint "
         "editorconfig-checker sqlfluff tflint actionlint checkov semgrep trivy "
         "sphinx-build sphinx-apidoc mkdocs doxygen pandoc typedoc jsdoc asciidoctor "
         "hugo jekyll zola mdbook openapi-generator swagger-codegen"),
    # ---- archives, text and file tools that write where they are told -----------------
    _any("tar gzip gunzip bzip2 bunzip2 xz unxz lzma zstd unzstd lz4 zip unzip 7z 7za "
         "cpio ar patch split csplit iconv dos2unix unix2dos envsubst m4 xmllint "
         "xsltproc tidy shuf tsort rev expand unexpand look mktemp openssl convert "
         "magick ffmpeg ffprobe sox pngquant optipng jpegoptim svgo cloc tokei scc "
         "ctags etags cscope gdb lldb hyperfine"),
    # ---- local throwaway clusters: they live in containers or a VM on this machine, so
    # `kind delete cluster` or `minikube delete` is a dev reset, not an outage ----------
    _any("kind minikube k3d"),
    # ---- editors -----------------------------------------------------------------------
    _any("vi vim nvim nano emacs emacsclient code codium subl micro helix hx kak ed"),
    # ---- package managers: project dependencies, reads and installs --------------------
    _verbs("npm", _NPM_VERBS),
    _verbs("pnpm", _NPM_VERBS + """store fetch import env patch patch-commit dev lint
           format clean typecheck watch serve preview generate codegen"""),
    _verbs("yarn", """install add remove upgrade up upgrade-interactive why info list run
           test build dev start lint format clean typecheck watch serve preview generate
           codegen cache workspace workspaces init create audit outdated link unlink
           config bin pack version dedupe plugin set constraints check import autoclean
           generate-lock-entry licenses"""),
    _verbs("bun", """install i add a remove rm update outdated link unlink run test build
           init create pm upgrade x dev start lint format clean typecheck"""),
    _verbs("pip pip3", """install uninstall download wheel list show freeze check search
           config cache hash debug inspect index help"""),
    _verbs("pipx", "install uninstall upgrade upgrade-all reinstall list run inject "
           "uninject ensurepath environment completions"),
    _verbs("uv", "pip venv sync lock add remove tree init python tool build cache export "
           "version help self"),
    _verbs("poetry", "install add remove update lock show build check init new env "
           "config shell version export search about source debug list help"),
    _verbs("pdm", "install add remove update lock list show build init sync info venv "
           "export outdated cache config"),
    _verbs("hatch", "build env shell version fmt test new status config dep"),
    _verbs("pipenv", "install uninstall update lock sync shell graph check clean "
           "requirements verify --venv --where --py"),
    _verbs("conda mamba micromamba", "install create remove uninstall list info update "
           "upgrade search env activate deactivate clean config run"),
    _verbs("gem", "install uninstall list search query info contents dependency env "
           "environment build specification which outdated update cleanup help"),
    _verbs("bundle bundler", "install update check list show outdated add remove lock "
           "config binstubs init package clean cache info platform doctor"),
    _verbs("composer", "install require remove update dump-autoload dumpautoload show "
           "outdated validate run-script run test create-project init why depends "
           "licenses audit check-platform-reqs clear-cache"),
    _verbs("cargo", "build b check c test t run r bench doc fmt clippy clean new init add "
           "remove rm update fetch tree metadata install uninstall search vendor "
           "generate-lockfile locate-project pkgid verify-project version help fix "
           "nextest watch expand audit deny outdated udeps llvm-cov tarpaulin make"),
    _verbs("dotnet", "build test run restore clean add remove new publish pack format "
           "watch tool list sln msbuild --info --version help"),
    _verbs("mix", """deps.get deps.compile deps.update deps.clean deps.tree compile test
           format run phx.server phx.routes phx.new phx.gen.html phx.gen.json
           phx.gen.context credo dialyzer hex.info help new escript.build docs
           ecto.migrate ecto.gen.migration"""),
    _verbs("brew", "install reinstall list ls info search update upgrade outdated doctor "
           "config deps uses leaves cleanup tap fetch home desc bundle --version "
           "--prefix --cellar --cache"),
    _verbs("apt apt-get aptitude", "install update upgrade list search show policy "
           "depends rdepends download source build-dep check changelog"),
    _any("apt-cache dpkg-query"),
    _verbs("dnf yum microdnf", "install update upgrade list info search check-update "
           "provides repolist makecache deplist"),
    _verbs("apk", "add update upgrade info search list fetch policy dot"),
    _verbs("nix", "build develop shell run search flake eval repl log path-info "
           "why-depends fmt edit"),
    _verbs("rustup", "show update install default component target run which doc "
           "override --version check"),
    _verbs("pyenv rbenv nodenv goenv", "install versions version local global shell "
           "which whence prefix root rehash exec init"),
    _verbs("asdf mise rtx", "install list ls current local global use where which exec "
           "plugin plugins latest reshim env run activate trust"),
    _verbs("volta fnm", "install list ls use current default pin run setup which env"),
)


def harmless(program: str, subcommand: str | None) -> bool:
    """Whether ``program`` (no pack knows it) run with this first non-option word
    (``None``: none) is in the catalogue."""
    if program not in CATALOGUE:
        return False
    verbs = CATALOGUE[program]
    return verbs is None or subcommand is None or subcommand in verbs


def programs() -> Iterable[str]:
    return CATALOGUE.keys()


__all__ = ["CATALOGUE", "harmless", "programs"]
