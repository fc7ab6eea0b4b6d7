#!/usr/bin/env python3
"""Benchmark couplint on ~930k lines of real code: flake8 with and without it, the CLI, a crash run.

One run, on the same files:

1. builds the corpus (sdists of Django, SQLAlchemy, botocore, celery, flask, requests from
   PyPI, cached outside the repository) and writes a realistic couplint config into it;
2. keeps two virtual environments in the cache, one with flake8 only, one with flake8 and
   couplint installed (non-editable) from the repository as it is now;
3. measures which share of files and lines passes couplint's prefilter;
4. times, alternating, default flake8 (-j1 and default jobs) and `flake8 --select=E,F,W`
   in both environments, and `couplint check`: seconds, lines/s, peak RSS per process;
5. lints every corpus file through couplint's engine with the prefilter off and counts
   crashes (must be zero).

Standard library only; Python 3.9+. `python benchmarks/run.py --help` lists the options.
The script writes nothing inside the repository, except benchmarks/README.md's figures
section with --write-readme.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_REPO = HERE.parent
README = HERE / "README.md"
DEFAULT_CACHE = "~/.cache/couplint-bench"
FIGURES_START = "<!-- figures:start (written by run.py --write-readme) -->"
FIGURES_END = "<!-- figures:end -->"
FLAKE8_PACKAGES = ("flake8", "pyflakes", "pycodestyle", "mccabe")
# Bumped when the corpus layout or the generated config changes: forces a re-extract.
CORPUS_FORMAT = "1"


@dataclass(frozen=True)
class Project:
    """One corpus project: the PyPI pin, which top-level folders to drop, its service config."""

    requirement: str
    drop: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    shared_domain: tuple[str, ...] = ()
    allowed_shared: tuple[str, ...] = ()
    ignore_hosts: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.requirement.split("==")[0]

    @property
    def version(self) -> str:
        return self.requirement.split("==")[1]


# Each project is one service of an imaginary system. The README explains the choices.
PROJECTS: dict[str, Project] = {
    "django": Project(
        "Django==5.1.4",
        packages=("django",),
        tables=(
            "auth_user",
            "auth_group",
            "auth_permission",
            "auth_user_groups",
            "auth_user_user_permissions",
            "auth_group_permissions",
            "django_session",
            "django_content_type",
            "django_admin_log",
            "django_migrations",
            "django_site",
            "django_flatpage",
            "django_redirect",
        ),
        hosts=("django-web", "DJANGO_URL"),
        databases=("django_db", "DATABASE_URL"),
        shared_domain=("django.contrib.auth",),
        allowed_shared=("django.utils",),
        ignore_hosts=("www.djangoproject.com", "docs.djangoproject.com"),
    ),
    "sqlalchemy": Project(
        "SQLAlchemy==2.0.36",
        drop=("test",),
        packages=("sqlalchemy",),
        tables=(
            "users",
            "addresses",
            "orders",
            "items",
            "order_items",
            "keywords",
            "item_keywords",
        ),
        hosts=("sqlalchemy-api", "SQLALCHEMY_API_URL"),
        databases=("sqlalchemy_db", "SQLALCHEMY_DATABASE_URL"),
        ignore_hosts=("docs.sqlalchemy.org",),
    ),
    "botocore": Project(
        "botocore==1.35.80",
        packages=("botocore",),
        hosts=("botocore-api", "AWS_ENDPOINT_URL"),
        allowed_shared=("botocore.vendored",),
        ignore_hosts=("amazonaws.com",),
    ),
    "celery": Project(
        "celery==5.4.0",
        packages=("celery",),
        tables=("celery_taskmeta", "celery_tasksetmeta"),
        hosts=("flower:5555", "FLOWER_URL"),
        databases=("celery_results", "CELERY_RESULT_BACKEND"),
        shared_domain=("celery.events",),
        allowed_shared=("celery.utils.log",),
        ignore_hosts=("docs.celeryq.dev",),
    ),
    "flask": Project(
        "flask==3.1.0",
        packages=("flask", "flaskr", "js_example"),
        tables=("user", "post"),
        hosts=("flaskr-web:5000", "FLASKR_URL"),
        databases=("flaskr.sqlite", "FLASKR_DATABASE"),
        ignore_hosts=("flask.palletsprojects.com",),
    ),
    "requests": Project(
        "requests==2.32.3",
        packages=("requests",),
        hosts=("httpbin.org", "HTTPBIN_URL"),
        ignore_hosts=("github.com", "pypi.org"),
    ),
}


# --------------------------------------------------------------------------- utilities


def log(message: str) -> None:
    print(message, flush=True)


def tilde(path: Path | str) -> str:
    """A path as the README may show it: `~` for the home folder."""
    text = str(path)
    home = str(Path.home())
    return "~" + text[len(home) :] if text == home or text.startswith(home + os.sep) else text


def count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def venv_python(venv: Path) -> Path:
    return bin_dir(venv) / ("python.exe" if os.name == "nt" else "python")


def clean_env() -> dict[str, str]:
    """The environment for measured processes: no PYTHONPATH leaking the repository in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run_quiet(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    """Run a set-up command; on failure print its output and stop."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        sys.exit(f"run.py: {what} failed (exit {proc.returncode}):\n{text[-4000:]}")
    return text


def maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


@dataclass
class Sample:
    """One measured process tree."""

    wall: float
    cpu: float | None  # user + sys of the whole tree
    peak_mb: float | None  # largest max RSS of any single process of the tree
    returncode: int
    load: float | None  # 1-minute load average when it started


def measure(cmd: list[str], cwd: Path, stdout: Path, stderr: Path) -> Sample:
    """Run `cmd` and measure wall time, CPU time and per-process peak RSS of its tree.

    `os.wait4` returns the child's rusage including its reaped descendants; for max RSS
    Linux gives the largest single process (flake8's main process or a worker), which is
    the per-process peak.
    """
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=clean_env())
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu: float | None = usage.ru_utime + usage.ru_stime
            peak: float | None = maxrss_mb(usage.ru_maxrss)
        else:  # pragma: no cover - Windows: time only
            proc.wait()
            wall = time.perf_counter() - start
            cpu = peak = None
    return Sample(wall, cpu, peak, proc.returncode, load)


# --------------------------------------------------------------------------- corpus


def download(cache: Path, projects: list[str]) -> dict[str, Path]:
    """The sdist (or, as a last resort, wheel) of every project, downloaded once."""
    folder = cache / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    found = {key: find_archive(folder, PROJECTS[key]) for key in projects}
    missing = [key for key, path in found.items() if path is None]
    if missing:
        reqs = [PROJECTS[key].requirement for key in missing]
        log(f"downloading {', '.join(reqs)} (once; kept in {tilde(folder)})")
        base = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder)]
        proc = subprocess.run([*base, "--no-binary", ":all:", *reqs], env=clean_env())
        if proc.returncode != 0:
            log("sdist download failed; falling back to `pip download --no-deps` per project")
            for req in reqs:
                subprocess.run([*base, req], env=clean_env())
        found = {key: find_archive(folder, PROJECTS[key]) for key in projects}
    missing = [PROJECTS[key].requirement for key, path in found.items() if path is None]
    if missing:
        sys.exit(f"run.py: could not download {', '.join(missing)}")
    return {key: path for key, path in found.items() if path is not None}


def find_archive(folder: Path, project: Project) -> Path | None:
    stem = f"{project.name}-{project.version}".lower()
    wheel_stem = f"{project.name.replace('-', '_')}-{project.version}-".lower()
    candidates = sorted(folder.iterdir())
    for path in candidates:
        name = path.name.lower()
        if name in (stem + ".tar.gz", stem + ".zip"):
            return path
    for path in candidates:
        if path.name.lower().startswith(wheel_stem) and path.name.endswith(".whl"):
            return path
    return None


def safe_member(name: str, strip_top: bool) -> PurePosixPath | None:
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if strip_top:
        parts = parts[1:]
    if not parts or ".." in parts or name.startswith("/"):
        return None
    return PurePosixPath(*parts)


def extract(archive: Path, dest: Path, drop: tuple[str, ...]) -> None:
    """Extract only the `.py` files of an sdist or wheel, without the `drop` top folders."""

    def keep(rel: PurePosixPath | None) -> bool:
        return rel is not None and rel.suffix == ".py" and rel.parts[0] not in drop

    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            strip = archive.name.endswith(".zip")
            for info in zf.infolist():
                rel = safe_member(info.filename, strip)
                if not info.is_dir() and keep(rel):
                    target = dest / str(rel)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(info))
        return
    with tarfile.open(archive) as tf:
        for member in tf:
            rel = safe_member(member.name, True)
            if member.isfile() and keep(rel):
                data = tf.extractfile(member)
                if data is None:
                    continue
                target = dest / str(rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data.read())


@dataclass
class Corpus:
    root: Path
    projects: list[str]
    files: int
    lines: int
    mb: float
    per_project: dict[str, tuple[int, int]] = field(default_factory=dict)


def build_corpus(cache: Path, projects: list[str], fresh: bool) -> Corpus:
    archives = download(cache, projects)
    name = "all" if sorted(projects) == sorted(PROJECTS) else "+".join(sorted(projects))
    root = cache / "corpus" / name
    root.mkdir(parents=True, exist_ok=True)
    for key in projects:
        dest = root / key
        marker = root / f".{key}.extracted"
        stamp = f"{archives[key].name} {CORPUS_FORMAT}"
        if fresh or not marker.is_file() or marker.read_text() != stamp:
            log(f"extracting {archives[key].name} -> {tilde(dest)}")
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir()
            extract(archives[key], dest, PROJECTS[key].drop)
            marker.write_text(stamp)
    per_project: dict[str, tuple[int, int]] = {}
    total_bytes = 0
    for key in projects:
        files = lines = 0
        for path in (root / key).rglob("*.py"):
            data = path.read_bytes()  # also warms the page cache before any timing
            files += 1
            lines += count_lines(data)
            total_bytes += len(data)
        per_project[key] = (files, lines)
    write_config(root, projects)
    return Corpus(
        root,
        projects,
        sum(f for f, _ in per_project.values()),
        sum(n for _, n in per_project.values()),
        total_bytes / 1e6,
        per_project,
    )


def toml_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def write_config(root: Path, projects: list[str]) -> None:
    """A couplint config for the corpus (see README), and an empty flake8 config.

    The `.flake8` file only stops flake8 from picking up a config further up the tree;
    its `[flake8]` section is empty, so flake8 runs with its defaults.
    """
    chosen = [PROJECTS[k] for k in projects]
    shared = [p for proj in chosen for p in proj.shared_domain]
    allowed = [p for proj in chosen for p in proj.allowed_shared]
    ignore = [h for proj in chosen for h in proj.ignore_hosts]
    lines = [
        "# Written by couplint's benchmarks/run.py: each project is one service.",
        "[tool.couplint]",
        f"shared-domain-packages = {toml_list(shared)}",
        f"allowed-shared-packages = {toml_list(allowed)}",
        f"ignore-hosts = {toml_list(ignore)}",
        'circuit-breakers = ["pybreaker.CircuitBreaker"]',
        "max-chain-hops = 2",
    ]
    for key in projects:
        proj = PROJECTS[key]
        lines += [
            "",
            f"[tool.couplint.services.{key}]",
            f"paths = {toml_list([key])}",
            f"packages = {toml_list(proj.packages)}",
            f"tables = {toml_list(proj.tables)}",
            f"hosts = {toml_list(proj.hosts)}",
            f"databases = {toml_list(proj.databases)}",
        ]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (root / ".flake8").write_text(
        "# Empty on purpose: flake8's defaults, and no config from folders above.\n[flake8]\n"
    )


# --------------------------------------------------------------------------- environments


@dataclass
class Envs:
    flake8: Path
    couplint: Path
    versions: dict[str, str]


def installed_versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try:\n"
        "        out[n] = metadata.version(n)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    # -I: the working directory (perhaps a checkout with couplint.egg-info) is not on sys.path
    text = run_quiet([str(python), "-I", "-c", code, *names], "reading installed versions")
    return dict(json.loads(text.strip().splitlines()[-1]))


def copy_repo(repo: Path, dest: Path) -> None:
    """The working tree as it is now, minus VCS and build litter.

    pip builds a local project in place (setuptools writes build/ and *.egg-info next to
    the sources), so installing from a copy keeps the repository untouched.
    """
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(
        repo,
        dest,
        ignore=shutil.ignore_patterns(
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
            ".venv",
            "venv",
            ".benchmarks",
            "node_modules",
        ),
    )


def export_ref(repo: Path, ref: str, dest: Path) -> None:
    """The files of commit `ref` (`git archive`), which reads the repository only."""
    import io

    proc = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref],
        capture_output=True,
    )
    if proc.returncode != 0:
        sys.exit(f"run.py: git archive {ref} failed: {proc.stderr.decode(errors='replace')}")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tf:
        for member in tf:
            rel = safe_member(member.name, False)
            if rel is not None and member.isfile():
                data = tf.extractfile(member)
                if data is not None:
                    (dest / str(rel)).parent.mkdir(parents=True, exist_ok=True)
                    (dest / str(rel)).write_bytes(data.read())


def describe_source(repo: Path, ref: str | None) -> str:
    """Which code was measured: a commit, or the working tree on top of one."""

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", ref or "HEAD") or "?"
    if ref:
        return f"commit {head}"
    dirty = git("status", "--porcelain", "--untracked-files=normal", "--", "couplint_ast")
    return f"the working tree at {head}" + (" with uncommitted changes" if dirty else "")


def make_venv(python: str, path: Path) -> None:
    log(f"creating virtual environment {tilde(path)}")
    shutil.rmtree(path, ignore_errors=True)
    run_quiet([python, "-m", "venv", str(path)], f"python -m venv {path}")


def prepare_envs(cache: Path, repo: Path, python: str, fresh: bool, ref: str | None) -> Envs:
    tag = run_quiet(
        [python, "-c", "import sys; print('py%d.%d' % sys.version_info[:2])"], "python version"
    ).strip()
    base = cache / "venvs"
    with_couplint, flake8_only = base / f"{tag}-couplint", base / f"{tag}-flake8"
    for venv in (with_couplint, flake8_only):
        if fresh or not venv_python(venv).exists():
            make_venv(python, venv)
    # couplint is reinstalled at every run, from a copy of the working tree, so the run
    # measures the code as it is now; dependencies are installed only when missing.
    source = cache / "build" / "couplint-src"
    if ref:
        export_ref(repo, ref, source)
    else:
        copy_repo(repo, source)
    what = f"commit {ref}" if ref else "the working tree"
    log(f"installing couplint from {what} (non-editable) into {tilde(with_couplint)}")
    pip_c = [str(venv_python(with_couplint)), "-m", "pip", "install", "-q"]
    run_quiet([*pip_c, str(source)], "pip install couplint")
    run_quiet([*pip_c, "--no-deps", "--force-reinstall", str(source)], "reinstall couplint")
    shutil.rmtree(source, ignore_errors=True)
    versions = installed_versions(venv_python(with_couplint), (*FLAKE8_PACKAGES, "couplint"))
    others = installed_versions(
        venv_python(with_couplint), ("libcst", "sqlglot", "click", "couplint")
    )
    pins = [f"{n}=={versions[n]}" for n in FLAKE8_PACKAGES if n in versions]
    if installed_versions(venv_python(flake8_only), FLAKE8_PACKAGES) != {
        n: versions[n] for n in FLAKE8_PACKAGES if n in versions
    }:
        log(f"installing {' '.join(pins)} into {tilde(flake8_only)}")
        run_quiet(
            [str(venv_python(flake8_only)), "-m", "pip", "install", "-q", *pins],
            "pip install flake8",
        )
    stray = installed_versions(venv_python(flake8_only), ("couplint",))
    if stray:
        sys.exit(f"run.py: {flake8_only} holds couplint; rerun with --fresh")
    check = run_quiet([str(bin_dir(with_couplint) / "flake8"), "--version"], "flake8 --version")
    if "couplint" not in check:
        sys.exit(f"run.py: couplint is not registered as a flake8 plugin:\n{check}")
    return Envs(flake8_only, with_couplint, {**versions, **others})


# --------------------------------------------------------------------------- probes
# These run inside the couplint environment (`<venv>/bin/python run.py --probe ...`), so
# they import the installed couplint, never the repository's sources.


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def probe_prefilter(root: Path) -> dict[str, Any]:
    """Share of files and lines that pass the prefilter, per service and in total."""
    from couplint_ast.config import load_config
    from couplint_ast.engine import Linter
    from couplint_ast.source import SourceError, read_source

    config = load_config(root / "pyproject.toml")
    linter = Linter(config)
    per: dict[str, dict[str, int]] = {}
    matched: dict[str, int] = {}
    start = time.perf_counter()
    for path in corpus_files(root):
        key = path.relative_to(root).parts[0]
        row = per.setdefault(key, dict.fromkeys(("files", "lines", "lf", "ll", "pf", "pl"), 0))
        try:
            text = read_source(path)
        except SourceError:
            continue
        lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        row["files"] += 1
        row["lines"] += lines
        service = linter.service_of(str(path))
        if service is None:  # test code, or no service: never parsed
            continue
        row["lf"] += 1
        row["ll"] += lines
        hit = linter.prefilter_reason(text, service)
        if hit is not None:
            row["pf"] += 1
            row["pl"] += lines
            snippet = " ".join(hit.split())[:60]
            matched[snippet] = matched.get(snippet, 0) + 1
    seconds = time.perf_counter() - start
    top = sorted(matched.items(), key=lambda kv: -kv[1])[:12]
    return {"per_service": per, "seconds": seconds, "first_match": top}


_WORKER: Any = None
_PREFILTERED: Any = None


def _crash_init(config_path: str) -> None:
    import dataclasses

    from couplint_ast.config import load_config
    from couplint_ast.engine import Linter

    global _WORKER, _PREFILTERED
    config = load_config(Path(config_path))
    if any(f.name == "include_tests" for f in dataclasses.fields(config)):
        # Test files are never linted by default; the crash run must parse them too.
        config = dataclasses.replace(config, include_tests=True)
    _WORKER = Linter(config, prefilter=False)
    _PREFILTERED = Linter(config)


def _crash_one(path: str) -> dict[str, Any]:
    import resource
    import traceback

    from couplint_ast.source import SourceError, read_source

    start = time.perf_counter()
    result: dict[str, Any] = {"path": path, "lines": 0, "codes": {}, "error": None}
    try:
        text = read_source(path)
        result["lines"] = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        found = _WORKER.lint_source(path, text)
        for diag in found:
            result["codes"][diag.code] = result["codes"].get(diag.code, 0) + 1
        if found:
            # Speed must never cost findings: a file with findings must pass the prefilter.
            service = _PREFILTERED.service_of(path)
            if service is not None and not _PREFILTERED.is_candidate(text, service):
                result["missed"] = sorted({d.code for d in found})
    except SourceError as exc:
        result["unreadable"] = str(exc)
    except BaseException:  # a crash run counts everything
        result["error"] = traceback.format_exc()
    result["seconds"] = time.perf_counter() - start
    result["pid"] = os.getpid()
    result["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def _died(path: str) -> dict[str, Any]:
    error = "the worker process died while linting this file (native crash or abort)"
    return {"path": path, "lines": 0, "codes": {}, "error": error, "seconds": 0.0, "pid": 0}


def _lint_all(paths: list[str], workers: int, config_path: str) -> list[dict[str, Any]]:
    """Lint `paths` on `workers` processes; a file that kills its worker is a crash too.

    When a worker dies, the files it may have been linting are retried one at a time in a
    fresh process, to tell which one did it, and the rest goes on in a new pool.
    """
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    results: list[dict[str, Any]] = []
    pending = deque(paths)
    while pending:
        suspects: list[str] = []
        with ProcessPoolExecutor(workers, initializer=_crash_init, initargs=(config_path,)) as ex:
            inflight: dict[Any, str] = {}
            while (pending or inflight) and not suspects:
                while pending and len(inflight) < workers * 4:
                    path = pending.popleft()
                    inflight[ex.submit(_crash_one, path)] = path
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    path = inflight.pop(future)
                    try:
                        results.append(future.result())
                    except BrokenProcessPool:
                        suspects.append(path)
                if len(results) % 500 < len(done):
                    print(f"  crash run: {len(results)}/{len(paths)} files", file=sys.stderr)
            suspects += inflight.values()
        for path in suspects:
            with ProcessPoolExecutor(1, initializer=_crash_init, initargs=(config_path,)) as one:
                try:
                    results.append(one.submit(_crash_one, path).result())
                except BrokenProcessPool:
                    results.append(_died(path))
    return results


def probe_crash(root: Path, workers: int) -> dict[str, Any]:
    """Lint every corpus file with the prefilter off, test files included; count crashes."""
    # Biggest first, so the workers finish together.
    paths = [str(p) for p in sorted(corpus_files(root), key=lambda p: -p.stat().st_size)]
    start = time.perf_counter()
    results = _lint_all(paths, max(workers, 1), str(root / "pyproject.toml"))
    seconds = time.perf_counter() - start
    codes: dict[str, int] = {}
    rss: dict[int, int] = {}
    for res in results:
        for code, n in res["codes"].items():
            codes[code] = codes.get(code, 0) + n
        if res.get("rss"):
            rss[res["pid"]] = max(rss.get(res["pid"], 0), res["rss"])
    crashes = [r for r in results if r["error"]]
    slowest = sorted(results, key=lambda r: -r["seconds"])[:10]
    return {
        "files": len(results),
        "lines": sum(r["lines"] for r in results),
        "seconds": seconds,
        "workers": workers,
        "crashes": len(crashes),
        "tracebacks": [(r["path"], r["error"]) for r in crashes[:5]],
        "unreadable": [(r["path"], r["unreadable"]) for r in results if "unreadable" in r],
        "prefilter_misses": [(r["path"], r["missed"]) for r in results if "missed" in r],
        "diagnostics": codes,
        "worker_peak_mb": sorted(maxrss_mb(v) for v in rss.values()),
        "slowest": [(r["path"], r["lines"], r["seconds"]) for r in slowest],
    }


def run_probe(venv: Path, kind: str, corpus: Path, workers: int) -> tuple[dict[str, Any], Sample]:
    out_dir = corpus.parent.parent / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    result_file = out_dir / f"probe-{kind}.json"
    result_file.unlink(missing_ok=True)
    cmd = [
        str(venv_python(venv)),
        str(Path(__file__).resolve()),
        "--probe",
        kind,
        "--probe-out",
        str(result_file),
        "--workers",
        str(workers),
        "--probe-corpus",
        str(corpus),
    ]
    stderr = out_dir / f"probe-{kind}.err"
    if kind == "crash":
        # Progress goes to the terminal; the result to a file.
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=corpus, env=clean_env())
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            rc = os.waitstatus_to_exitcode(status)
            sample = Sample(
                time.perf_counter() - start,
                usage.ru_utime + usage.ru_stime,
                maxrss_mb(usage.ru_maxrss),
                rc,
                load,
            )
        else:  # pragma: no cover
            rc = proc.wait()
            sample = Sample(time.perf_counter() - start, None, None, rc, load)
    else:
        sample = measure(cmd, corpus, out_dir / f"probe-{kind}.out", stderr)
    if sample.returncode != 0 or not result_file.is_file():
        detail = stderr.read_text(errors="replace")[-3000:] if stderr.is_file() else ""
        return {"failed": f"exit {sample.returncode}\n{detail}"}, sample
    return json.loads(result_file.read_text()), sample


# --------------------------------------------------------------------------- timing


@dataclass
class Scenario:
    key: str
    title: str
    args: list[str]
    both: bool = True  # flake8 in both environments; else couplint env only
    prime: bool = False  # run once, unmeasured, before the first sample (a warm cache)


def scenarios(envs: Envs, wanted: set[str]) -> list[Scenario]:
    flake8 = ["--exit-zero", "."]
    found = [
        Scenario("j1", "default flake8, -j1", ["flake8", "-j1", *flake8]),
        Scenario("jobs", "default flake8, default jobs", ["flake8", *flake8]),
        Scenario(
            "nocpl", "flake8 -j1 --select=E,F,W", ["flake8", "-j1", "--select=E,F,W", *flake8]
        ),
        Scenario("check", "couplint check", ["couplint", "check", "."], both=False),
    ]
    help_text = run_quiet(
        [str(bin_dir(envs.couplint) / "couplint"), "check", "--help"], "couplint check --help"
    )
    if "--no-cache" in help_text:
        # Cold: every file read and parsed; warm: the facts cache of the previous run.
        found[-1] = Scenario(
            "check",
            "couplint check --jobs 1 (cold)",
            ["couplint", "check", "--jobs", "1", "--no-cache", "."],
            both=False,
        )
        found.append(
            Scenario(
                "check-warm",
                "couplint check --jobs 1 (warm)",
                ["couplint", "check", "--jobs", "1", "."],
                both=False,
                prime=True,
            )
        )
    elif "--jobs" in help_text:
        found[-1] = Scenario(
            "check",
            "couplint check --jobs 1",
            ["couplint", "check", "--jobs", "1", "."],
            both=False,
        )
        found.append(
            Scenario(
                "check-jobs",
                "couplint check (default jobs)",
                ["couplint", "check", "."],
                both=False,
            )
        )
    return [
        s
        for s in found
        if s.key in wanted or (s.key in ("check-jobs", "check-warm") and "check" in wanted)
    ]


def time_all(
    envs: Envs, corpus: Corpus, chosen: list[Scenario], repeat: int, out_dir: Path
) -> dict[str, dict[str, list[Sample]]]:
    results: dict[str, dict[str, list[Sample]]] = {s.key: {} for s in chosen}
    for s in chosen:
        if s.prime:
            cmd = [str(bin_dir(envs.couplint) / s.args[0]), *s.args[1:]]
            measure(
                cmd, corpus.root, out_dir / f"{s.key}-prime.out", out_dir / f"{s.key}-prime.err"
            )
            log(f"  primed: {s.title}")
    for r in range(repeat):
        for s in chosen:
            order = ["flake8", "couplint"] if s.both else ["couplint"]
            if s.both and r % 2 == 1:
                order.reverse()  # alternate which environment goes first
            for env_name in order:
                venv = envs.flake8 if env_name == "flake8" else envs.couplint
                cmd = [str(bin_dir(venv) / s.args[0]), *s.args[1:]]
                stem = f"{s.key}-{env_name}"
                sample = measure(cmd, corpus.root, out_dir / f"{stem}.out", out_dir / f"{stem}.err")
                err = (out_dir / f"{stem}.err").read_text(errors="replace")
                bad = sample.returncode not in ((0,) if s.both else (0, 1)) or "Traceback" in err
                if bad:
                    sys.exit(
                        f"run.py: `{' '.join(s.args)}` in the {env_name} env failed "
                        f"(exit {sample.returncode}):\n{err[-3000:]}"
                    )
                results[s.key].setdefault(env_name, []).append(sample)
                log(
                    f"  [{r + 1}/{repeat}] {s.title:32} {env_name:8} {sample.wall:7.1f} s  "
                    f"cpu {fmt(sample.cpu, 7.1)} s  peak {fmt(sample.peak_mb, 6.0)} MB  "
                    f"load {fmt(sample.load, 4.1)}"
                )
    return results


def fmt(value: float | None, spec: float) -> str:
    if value is None:
        return "n/a"
    width, _, digits = str(spec).partition(".")
    return f"{value:{width}.{digits}f}"


def median(samples: list[Sample], attr: str) -> float | None:
    values = [getattr(s, attr) for s in samples if getattr(s, attr) is not None]
    return statistics.median(values) if values else None


def output_counts(path: Path) -> tuple[int, int]:
    """(non-CPL lines, CPL lines) of a flake8 output file."""
    other = cpl = 0
    with open(path, "rb") as handle:
        for line in handle:
            if b": CPL" in line:
                cpl += 1
            else:
                other += 1
    return other, cpl


def profile_check(envs: Envs, root: Path, out_dir: Path) -> None:
    """`couplint check` under cProfile: where the time goes, by own time and cumulative."""
    prof = out_dir / "check.prof"
    python = str(venv_python(envs.couplint))
    cmd = [python, "-m", "cProfile", "-o", str(prof), "-m", "couplint_ast", "check", "."]
    help_text = run_quiet([python, "-m", "couplint_ast", "check", "--help"], "check --help")
    if "--jobs" in help_text:
        cmd[-1:-1] = ["--jobs", "1"]  # cProfile sees only its own process
    log("profiling `couplint check` (cProfile adds overhead; read shares, not seconds)")
    sample = measure(cmd, root, out_dir / "profile.out", out_dir / "profile.err")
    if not prof.is_file():
        log(f"profile failed (exit {sample.returncode})")
        return
    code = (
        "import pstats, sys\n"
        "s = pstats.Stats(sys.argv[1], stream=sys.stdout)\n"
        "s.strip_dirs().sort_stats('tottime').print_stats(25)\n"
        "s = pstats.Stats(sys.argv[1], stream=sys.stdout)\n"
        "s.sort_stats('cumulative').print_stats(r'couplint_ast|libcst', 30)\n"
    )
    text = run_quiet([python, "-c", code, str(prof)], "pstats")
    text = re.sub(r"\S*/(site-packages|lib/python[0-9.]+)/", "", text)
    (out_dir / "check-profile.txt").write_text(text)
    log(text)
    log(f"profile: {tilde(out_dir / 'check-profile.txt')} ({tilde(prof)} for snakeviz etc.)")


# --------------------------------------------------------------------------- report


def summarize(
    corpus: Corpus,
    envs: Envs,
    timing: dict[str, dict[str, list[Sample]]],
    chosen: list[Scenario],
    prefilter: dict[str, Any] | None,
    crash: dict[str, Any] | None,
    crash_sample: Sample | None,
    repeat: int,
    out_dir: Path,
    loads: tuple[float | None, float | None],
    note: str | None = None,
) -> tuple[str, dict[str, Any]]:
    rows: list[str] = []
    data: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "versions": envs.versions,
        "corpus": {
            "projects": corpus.projects,
            "files": corpus.files,
            "lines": corpus.lines,
            "mb": round(corpus.mb, 1),
            "per_project": corpus.per_project,
        },
        "repeat": repeat,
        "load_before_after": loads,
        "timing": {},
    }
    rows.append(
        f"Corpus: {corpus.files:,} files, {corpus.lines:,} lines, {corpus.mb:.0f} MB "
        f"({', '.join(corpus.projects)}); {os.cpu_count()} cores; median of {repeat}; "
        f"load average {fmt(loads[0], 3.1)} before, {fmt(loads[1], 3.1)} after."
    )
    v = envs.versions
    rows.append(
        f"{data['date']}; CPython {platform.python_version()}, flake8 {v.get('flake8')} "
        f"(pyflakes {v.get('pyflakes')}, pycodestyle {v.get('pycodestyle')}), couplint "
        f"{v.get('couplint')} from {v.get('source')}, libcst {v.get('libcst')}."
    )
    if note:
        rows.append(f"Note: {note}")
    rows.append("")
    rows.append(
        "| run | env | seconds | CPU s | lines/s | peak MB/process | ratio (wall) | ratio (CPU) |"
    )
    rows.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for s in chosen:
        per_env = timing.get(s.key, {})
        base_wall = median(per_env.get("flake8", []), "wall")
        base_cpu = median(per_env.get("flake8", []), "cpu")
        entry: dict[str, Any] = {}
        for env_name in ("flake8", "couplint"):
            samples = per_env.get(env_name)
            if not samples:
                continue
            wall = median(samples, "wall") or 0.0
            cpu = median(samples, "cpu")
            peak = max((x.peak_mb for x in samples if x.peak_mb is not None), default=None)
            ratio = wall / base_wall if env_name == "couplint" and base_wall else None
            cpu_ratio = cpu / base_cpu if env_name == "couplint" and cpu and base_cpu else None
            label = "flake8 only" if env_name == "flake8" else "+ couplint"
            if not s.both:
                label = "couplint"
            rows.append(
                f"| {s.title} | {label} | {wall:.1f} | {fmt(cpu, 0.1)} | "
                f"{corpus.lines / wall:,.0f} | {fmt(peak, 0.0)} | "
                f"{f'**{ratio:.2f}**' if ratio else ''} | "
                f"{f'{cpu_ratio:.2f}' if cpu_ratio else ''} |"
            )
            entry[env_name] = {
                "wall": wall,
                "cpu": cpu,
                "peak_mb": peak,
                "lines_per_s": corpus.lines / wall,
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "samples": [asdict(x) for x in samples],
            }
        data["timing"][s.key] = entry
    # Sanity: couplint must not change flake8's own findings, and what it added.
    notes: list[str] = []
    for s in chosen:
        if not s.both:
            continue
        base_out = out_dir / f"{s.key}-flake8.out"
        with_out = out_dir / f"{s.key}-couplint.out"
        if base_out.is_file() and with_out.is_file():
            b_other, _ = output_counts(base_out)
            c_other, c_cpl = output_counts(with_out)
            same = "same" if b_other == c_other else f"DIFFERENT ({b_other} vs {c_other})"
            notes.append(
                f"{s.title}: {c_other:,} non-CPL lines ({same} as without couplint), "
                f"{c_cpl:,} CPL findings"
            )
            data["timing"][s.key]["findings"] = {
                "other": c_other,
                "cpl": c_cpl,
                "same": b_other == c_other,
            }
    check_out = out_dir / "check-couplint.out"
    if any(s.key == "check" for s in chosen) and check_out.is_file():
        n = sum(1 for line in check_out.read_bytes().splitlines() if b" CPL" in line)
        notes.append(f"couplint check: {n:,} findings")
    if notes:
        rows.append("")
        rows += [f"- {n}" for n in notes]
    if prefilter is not None:
        rows.append("")
        if "failed" in prefilter:
            rows.append(f"Prefilter share: probe failed: {prefilter['failed'].splitlines()[0]}")
        else:
            rows += prefilter_rows(prefilter)
        data["prefilter"] = prefilter
    if crash is not None:
        rows.append("")
        rows += crash_rows(crash, crash_sample)
        data["crash"] = crash
        if crash_sample is not None:
            data["crash_sample"] = asdict(crash_sample)
    return "\n".join(rows) + "\n", data


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def prefilter_rows(pre: dict[str, Any]) -> list[str]:
    per = pre["per_service"]
    rows = [
        "Prefilter (default config, test files are never linted): files and lines that "
        "would be parsed",
        "",
        "| service | files | lines | linted files | linted lines | pass: files | pass: lines | "
        "pass share of linted lines | of all lines |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tot = dict.fromkeys(("files", "lines", "lf", "ll", "pf", "pl"), 0)
    for key in sorted(per):
        r = per[key]
        for k in tot:
            tot[k] += r[k]
        rows.append(
            f"| {key} | {r['files']:,} | {r['lines']:,} | {r['lf']:,} | {r['ll']:,} | "
            f"{r['pf']:,} | {r['pl']:,} | {pct(r['pl'], r['ll'])} | {pct(r['pl'], r['lines'])} |"
        )
    rows.append(
        f"| **all** | {tot['files']:,} | {tot['lines']:,} | {tot['lf']:,} | {tot['ll']:,} | "
        f"{tot['pf']:,} | {tot['pl']:,} | **{pct(tot['pl'], tot['ll'])}** | "
        f"**{pct(tot['pl'], tot['lines'])}** |"
    )
    rows.append("")
    rows.append(
        f"Pass share: {pct(tot['pf'], tot['files'])} of all files and "
        f"{pct(tot['pl'], tot['lines'])} of all lines; {pct(tot['pf'], tot['lf'])} of linted "
        f"files and {pct(tot['pl'], tot['ll'])} of linted lines (prefilter over the corpus: "
        f"{pre['seconds']:.2f} s)."
    )
    if pre.get("first_match"):
        top = ", ".join(f"`{m}` ({n})" for m, n in pre["first_match"][:8])
        rows.append(f"First match in passing files, most frequent: {top}.")
    return rows


def short(path: str) -> str:
    """A corpus file as `project/...`, without the cache location."""
    return Path(path).as_posix().split("/corpus/", 1)[-1].split("/", 1)[-1]


def crash_rows(crash: dict[str, Any], sample: Sample | None) -> list[str]:
    if "failed" in crash:
        return [f"Crash run: FAILED to run: {crash['failed'][:2000]}"]
    codes = ", ".join(f"{c} {n}" for c, n in sorted(crash["diagnostics"].items())) or "none"
    peaks = ", ".join(f"{p:.0f}" for p in crash["worker_peak_mb"])
    rows = [
        f"Crash run (prefilter off, test files included, every file parsed): "
        f"{crash['files']:,} files, {crash['lines']:,} lines in {crash['seconds']:.0f} s "
        f"({crash['lines'] / max(crash['seconds'], 1e-9):,.0f} lines/s on "
        f"{crash.get('workers', '?')} workers); **crashes: {crash['crashes']}**; "
        f"unreadable: {len(crash['unreadable'])}; diagnostics: {codes}; peak MB per worker "
        f"process: {peaks}.",
    ]
    misses = crash.get("prefilter_misses", [])
    rows.append(
        f"Files with findings that the prefilter would skip (findings lost with it on): "
        f"{len(misses)}"
        + (
            ": " + ", ".join(f"`{short(p)}` {'/'.join(c)}" for p, c in misses[:5])
            if misses
            else "."
        )
    )
    if sample is not None and sample.cpu is not None:
        rows[0] += f" CPU {sample.cpu:.0f} s, peak {fmt(sample.peak_mb, 0.0)} MB."
    slow = "; ".join(f"`{short(p)}` ({n:,} lines, {s:.1f} s)" for p, n, s in crash["slowest"][:5])
    rows.append(f"Slowest files: {slow}.")
    return rows


def update_readme(text: str) -> None:
    readme = README.read_text() if README.is_file() else ""
    block = f"{FIGURES_START}\n{text.rstrip()}\n{FIGURES_END}"
    if FIGURES_START in readme and FIGURES_END in readme:
        head, rest = readme.split(FIGURES_START, 1)
        _, tail = rest.split(FIGURES_END, 1)
        readme = head + block + tail
    else:
        readme = readme.rstrip() + "\n\n## Figures\n\n" + block + "\n"
    README.write_text(readme)
    log(f"updated {README.relative_to(HERE.parent)}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description=__doc__.split("\n", 1)[0],
        epilog=textwrap.dedent(
            """\
            examples:
              python benchmarks/run.py --projects requests,flask   # seconds: for development
              python benchmarks/run.py                             # the full corpus (10+ min)
              python benchmarks/run.py --repeat 3 --write-readme   # record figures
              python benchmarks/run.py --crash-run                 # only the crash run
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--cache",
        default=os.environ.get("COUPLINT_BENCH_CACHE", DEFAULT_CACHE),
        help="cache folder for downloads, corpus and virtual environments (outside the "
        "repository); env COUPLINT_BENCH_CACHE; default %(default)s",
    )
    parser.add_argument(
        "--projects",
        default=",".join(PROJECTS),
        help="comma-separated subset of: %(default)s",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per scenario (median)")
    parser.add_argument(
        "--scenarios",
        default="j1,jobs,nocpl,check",
        help="timed scenarios to run, from j1,jobs,nocpl,check (default: all)",
    )
    parser.add_argument(
        "--crash-run", action="store_true", help="only the prefilter share and the crash run"
    )
    parser.add_argument(
        "--no-crash-run", action="store_true", help="skip the crash run of a full run"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes of the crash run")
    parser.add_argument("--fresh", action="store_true", help="recreate venvs and corpus")
    parser.add_argument(
        "--write-readme", action="store_true", help="update the figures in benchmarks/README.md"
    )
    parser.add_argument("--repo", default=str(DEFAULT_REPO), help="couplint checkout to install")
    parser.add_argument(
        "--ref",
        help="install couplint as of this git commit (git archive) instead of the working tree",
    )
    parser.add_argument("--note", help="a line recorded with the figures (e.g. machine load)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run `couplint check` under cProfile and print the top functions",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for the venvs (default: this one)"
    )
    parser.add_argument("--probe", choices=("prefilter", "crash"), help=argparse.SUPPRESS)
    parser.add_argument("--probe-out", help=argparse.SUPPRESS)
    parser.add_argument("--probe-corpus", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:  # inside the couplint venv
        root = Path(args.probe_corpus)
        result = (
            probe_prefilter(root) if args.probe == "prefilter" else probe_crash(root, args.workers)
        )
        Path(args.probe_out).write_text(json.dumps(result))
        return 0

    projects = [p.strip().lower() for p in args.projects.split(",") if p.strip()]
    unknown = [p for p in projects if p not in PROJECTS]
    if unknown or not projects:
        sys.exit(f"run.py: unknown project(s) {unknown}; choose from {', '.join(PROJECTS)}")
    wanted = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    if wanted - {"j1", "jobs", "nocpl", "check"}:
        sys.exit(f"run.py: unknown scenario(s) {sorted(wanted - {'j1', 'jobs', 'nocpl', 'check'})}")
    cache = Path(os.path.expanduser(args.cache)).resolve()
    repo = Path(args.repo).resolve()
    if cache == repo or repo in cache.parents:
        sys.exit("run.py: the cache must be outside the repository")
    cache.mkdir(parents=True, exist_ok=True)
    out_dir = cache / "out"
    out_dir.mkdir(exist_ok=True)

    loads_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    corpus = build_corpus(cache, projects, args.fresh)
    log(
        f"corpus {tilde(corpus.root)}: {corpus.files:,} files, {corpus.lines:,} lines, "
        f"{corpus.mb:.0f} MB"
    )
    envs = prepare_envs(cache, repo, args.python, args.fresh, args.ref)
    envs.versions["source"] = describe_source(repo, args.ref)
    log("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(envs.versions.items())))

    prefilter, _ = run_probe(envs.couplint, "prefilter", corpus.root, 1)
    if "failed" in prefilter:
        log(f"prefilter probe failed: {prefilter['failed']}")
    else:
        log("\n".join(prefilter_rows(prefilter)))

    chosen: list[Scenario] = []
    timing: dict[str, dict[str, list[Sample]]] = {}
    if not args.crash_run:
        chosen = scenarios(envs, wanted)
        for stale in [*out_dir.glob("*-flake8.out"), *out_dir.glob("*-couplint.out")]:
            stale.unlink()
        log(f"timing {', '.join(s.key for s in chosen)} (x{args.repeat}, alternating)")
        timing = time_all(envs, corpus, chosen, args.repeat, out_dir)

    if args.profile:
        profile_check(envs, corpus.root, out_dir)

    crash: dict[str, Any] | None = None
    crash_sample: Sample | None = None
    if args.crash_run or not args.no_crash_run:
        log(f"crash run: every file through Linter(prefilter=False), {args.workers} workers")
        crash, crash_sample = run_probe(envs.couplint, "crash", corpus.root, args.workers)
        for path, tb in crash.get("tracebacks", []):
            log(f"CRASH in {path}:\n{tb}")

    loads_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    text, data = summarize(
        corpus,
        envs,
        timing,
        chosen,
        prefilter,
        crash,
        crash_sample,
        args.repeat,
        out_dir,
        (loads_before, loads_after),
        args.note,
    )
    log("\n" + text)
    results = cache / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (f"{stamp}.json", "latest.json"):
        (results / name).write_text(json.dumps(data, indent=1, default=str))
    log(f"results: {tilde(results / (stamp + '.json'))}")
    if args.write_readme:
        update_readme(text)
    if crash is not None and (crash.get("failed") or crash.get("crashes")):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
