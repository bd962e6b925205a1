"""config.py and requirements.txt read with `ast`: a BackendSource, or a SourceProblem in it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from launchtui.probes.backend_source import allows_only_below, read_backend_source
from launchtui.probes.python_source import SourceProblem, parse_python
from tests.fuzz.strategies import ANY_TEXT, FUZZ, FUZZ_IO, HUGE_DIGITS, NASTY, mixed, mixed_bytes

# Fragments of real config modules, so the reader and the evaluator see valid Python too.
FRAGMENTS = st.sampled_from(
    [
        "import os\n",
        "from os import environ, getenv as ge\n",
        "env = os.environ\n",
        "class Config:\n",
        "class ProductionConfig(Config):\n",
        "class Loop(Loop):\n",
        "    SECRET_KEY = os.environ['SECRET_KEY']\n",
        "    DEBUG = os.getenv('FLASK_DEBUG', 'false').lower() == 'true'\n",
        "    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or 'sqlite:///x.db'\n",
        "    SQLALCHEMY_ENGINE_OPTIONS = {'pool_recycle': 280, **BASE}\n",
        "    ORIGINS = [o.strip() for o in os.getenv('CORS_ORIGINS', '*').split(',')]\n",
        "    UPLOAD = os.path.join(os.path.dirname(__file__), 'tmp')\n",
        "    N = int(os.getenv('N', '9' * 3)) * 2 ** 8\n",
        "    P = Path(__file__).parent / 'x'\n",
        f"    BIG = {HUGE_DIGITS}\n",  # a SyntaxError: over 4300 digits
        f"    LONG = {'9' * 4000}\n",
        "    S = str(LONG * LONG)\n",  # a ValueError when evaluated
        "    F = f'{Config.S}-{1 / 0}'\n",
        "    R = os.path.realpath('a\\x00b')\n",
        "    X = A if B else C\n",
        "    D = dict(a=1, **E)\n",
        "    T = ge(env['K'])\n",
        "BASE = {'pool_pre_ping': True}\n",
        "A = B = 1\n",
        "try:\n    import x\nexcept ImportError:\n    Y: int = 2\n",
        "    pass\n",
        "# -*- coding: latin-1 -*-\n",
        "# coding: rot13\n",
        "\ufeff",
        "x = (" * 50 + ")" * 50 + "\n",
        "y = " + "1 + " * 3000 + "1\n",
    ]
)
SOURCES = st.lists(FRAGMENTS | ANY_TEXT | NASTY, max_size=12).map("".join)
BODY = FRAGMENTS.filter(lambda f: f.startswith("    "))
HEADS = st.sampled_from(
    [
        "class Config:\n",
        "class ProductionConfig(Config):\n",
        "class B(A, Config):\n",
        "class A(B):\n",
    ]
)
TOP = st.sampled_from(
    [
        "import os\n",
        "from os import environ, getenv as ge\n",
        "env = os.environ\n",
        "BASE = {'pool_pre_ping': True}\n",
        "A = B = 1\n",
        f"LONG = {'9' * 4000}\n",
    ]
)
# Valid modules: imports and module settings, then classes with indented bodies.
MODULES = st.builds(
    lambda top, classes: (
        "".join(top) + "".join(h + ("".join(b) or "    pass\n") for h, b in classes)
    ),
    st.lists(TOP, max_size=5),
    st.lists(st.tuples(HEADS, st.lists(BODY, max_size=6)), max_size=4),
)
RAW = mixed_bytes(b"class Config:\n    X = os.environ['A']\n\x00#", 200)
REQUIREMENTS = st.lists(
    st.sampled_from(
        ["flask==3.0.0", "SQLAlchemy<2", "flask-sqlalchemy~=2.5", "pymysql>=1", f"x=={HUGE_DIGITS}"]
    )
    | mixed("abc=<>~!.,;[]# 0123456789", 30),
    max_size=6,
).map("\n".join)
ENVS = st.dictionaries(
    st.sampled_from(["SECRET_KEY", "DATABASE_URL", "FLASK_DEBUG", "N", "CORS_ORIGINS", "K"]),
    ANY_TEXT | NASTY,
    max_size=4,
)


def read_all(backend: Path, env: dict[str, str]) -> None:
    """Read a backend checkout and evaluate every setting of every class, as the checks do."""
    src = read_backend_source(backend)
    if src.problem is not None:
        assert src.problem.message and src.problem.where
        return
    for read in src.env_reads:
        assert read.line >= 1
    for cls in src.classes.values():
        for setting in cls.settings.values():
            src.evaluate(setting, env)
            src.evaluate_key(setting, "pool_recycle", env)
            src.segment(setting.node)
    for setting in src.module.values():
        src.evaluate(setting, env)


@FUZZ_IO
@given(SOURCES | MODULES, REQUIREMENTS, ENVS)
def test_any_config_source_is_read_and_evaluated(text: str, reqs: str, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.py").write_text(text, "utf-8", errors="surrogatepass")
        (Path(d) / "requirements.txt").write_text(reqs, "utf-8", errors="surrogatepass")
        read_all(Path(d), env)


@FUZZ_IO
@given(RAW, st.binary(max_size=100), ENVS)
def test_any_config_bytes_are_read_and_evaluated(
    data: bytes, reqs: bytes, env: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.py").write_bytes(data)
        (Path(d) / "requirements.txt").write_bytes(reqs)
        parsed = parse_python(Path(d) / "config.py")
        assert isinstance(parsed, SourceProblem) or parsed[1] is not None
        read_all(Path(d), env)


SPECS = st.lists(
    st.builds(
        "".join,
        st.tuples(
            st.sampled_from(["", "==", "===", "~=", "<=", "<", ">=", " < ", "==v"]),
            st.sampled_from(["2", "3", "2.5", "3.0", "\u0663", HUGE_DIGITS, "2." + HUGE_DIGITS]),
        ),
    )
    | mixed("<>=~!,. v0123456789", 20)
    | NASTY,
    max_size=3,
).map(",".join)


@FUZZ
@given(SPECS, st.integers(0, 5))
def test_any_version_specifier_is_judged(spec: str, major: int) -> None:
    assert allows_only_below(spec, major) in (True, False)
