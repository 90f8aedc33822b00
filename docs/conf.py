"""Sphinx configuration for the ecservice documentation.

Build (warnings are errors, no network needed)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
    .venv/bin/sphinx-build -W -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any, TypeVar

# -- Project -------------------------------------------------------------------------------------

project = "ecservice"
author = "The ecservice developers"
copyright = "2026, The ecservice developers"
release = importlib.metadata.version("ecservice")
version = ".".join(release.split(".")[:2])

# sphinx_autodoc_typehints still calls an API that Sphinx 10 will remove; that is its business.
for _category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", message=".*sphinx_autodoc_typehints.*", category=_category)

# -- General -------------------------------------------------------------------------------------

# The documentation's own extensions (docs/_ext): the workflow-diagram directive, and what the API
# pages show beyond autodoc's defaults (property types, readable bases).
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # must come before sphinx_autodoc_typehints
    "sphinx_autodoc_typehints",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",
    "workflow_diagram",
    "api_pages",
]
# No sphinx.ext.intersphinx: the build must not need the network.

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"

# Every cross reference must resolve; see nitpick_ignore_regex below for the exceptions.
nitpicky = True

# A function in the configuration (typehints_formatter below) cannot be pickled with the
# environment; Sphinx then re-reads everything on the next build, which is fine.
suppress_warnings = ["config.cache"]

# -- MyST ----------------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- autodoc, napoleon, type hints ---------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Type hints are rendered by sphinx_autodoc_typehints, not by autodoc itself.
autodoc_typehints = "none"
autodoc_preserve_defaults = False

napoleon_google_docstring = True
napoleon_numpy_docstring = False
# ``Attributes:`` sections become ``:ivar:`` fields, not extra attribute entries that would
# duplicate the ones autodoc documents.
napoleon_use_ivar = True
napoleon_use_rtype = False

typehints_fully_qualified = False
always_document_param_types = True
typehints_document_rtype = True
# Types go in the parameter lists, where type variables can be rendered without a reference.
typehints_use_signature = False
typehints_use_signature_return = False


def _typehints_formatter(annotation: object, config: object) -> str | None:
    """Render type variables (``A``, ``S``, ``AggT``...) as plain names, not references.

    They are private generic parameters of the kernel's modules, not public names, so there is
    nothing to link to.
    """
    if isinstance(annotation, TypeVar):
        return f"``{annotation.__name__}``"
    return None


typehints_formatter = _typehints_formatter

# -- Cross references that cannot resolve without intersphinx -----------------------------------
#
# Without intersphinx, references to the standard library and to third-party packages have no
# target; only those are ignored. Every reference to an ecservice name must resolve.
nitpick_ignore_regex = [
    # Third-party packages.
    (r"py:.*", r"(pendulum|attrs?|cattrs|transitions|babel|cryptography|sqlalchemy|alembic|psycopg)(\..*)?"),
    # The standard library names that appear in signatures and docstrings.
    (
        r"py:.*",
        r"(abc|argparse|collections\.abc|datetime|decimal|enum|hashlib|hmac|json|pathlib|secrets"
        r"|typing)(\..*)?",
    ),
    # The ``...`` in ``tuple[X, ...]``.
    (r"py:data", r"Ellipsis"),
]

# -- doctest -------------------------------------------------------------------------------------

# Plain ``>>>`` blocks (the examples in docstrings shown on the API pages) are tested too.
doctest_test_doctest_blocks = "default"

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"ecservice {release}"
html_static_path = ["_static"]
# Tables of state labels (Chinese labels never break one character per line) and the diagrams.
html_css_files = ["ecservice.css"]


# -- Making postponed annotations resolvable ---------------------------------------------------
#
# The package uses ``from __future__ import annotations``, imports some names only under
# ``if TYPE_CHECKING:`` (``Context``, ``Workflow``...), and builds classes with attrs, whose
# generated ``__init__`` resolves its annotations in a copy of the *subclass's* module namespace
# (so ``occurred_at: DateTime``, declared on ``DomainEvent``, is looked up in the module of
# ``OrderPlaced``). sphinx_autodoc_typehints cannot evaluate those strings on its own. Give it the
# names it needs, just before autodoc documents anything from a newly imported ecservice module:
# run each module's ``TYPE_CHECKING`` imports, and let every attrs ``__init__`` see the namespaces
# of the modules its fields were declared in. Names are only added where missing, never replaced.

_TYPE_CHECKING_BLOCK = re.compile(
    r"\nif (?:typing\.)?TYPE_CHECKING:[^\n]*\n((?:[ \t]+[^\n]*\n|\n)+)"
)
_prepared_modules: set[str] = set()


def _prepare_annotations(*_: object) -> None:
    new = [
        module
        for name, module in sorted(sys.modules.items())
        if (name == "ecservice" or name.startswith("ecservice."))
        and name not in _prepared_modules
        and module is not None
    ]
    if not new:
        return
    import attrs

    for module in new:
        _prepared_modules.add(module.__name__)
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        for block in _TYPE_CHECKING_BLOCK.findall(source):
            namespace: dict[str, Any] = {}
            exec(textwrap.dedent(block), dict(vars(module)), namespace)
            for key, value in namespace.items():
                vars(module).setdefault(key, value)
    for module in new:
        for obj in list(vars(module).values()):
            if not (isinstance(obj, type) and attrs.has(obj)):
                continue
            if obj.__module__ != module.__name__:
                continue
            init_globals = getattr(obj.__init__, "__globals__", None)
            if init_globals is None or init_globals is vars(module):
                continue
            for klass in obj.__mro__:
                declared_in = sys.modules.get(klass.__module__)
                if declared_in is not None:
                    for key, value in vars(declared_in).items():
                        init_globals.setdefault(key, value)


# -- Hooks ---------------------------------------------------------------------------------------


def setup(app: Any) -> None:
    from pygments.lexers.special import TextLexer

    # ```mermaid blocks hold diagram text; show it as plain text (no Mermaid extension needed).
    app.add_lexer("mermaid", TextLexer)
    # Before sphinx_autodoc_typehints (priority 500) reads the annotations.
    app.connect("autodoc-before-process-signature", _prepare_annotations, priority=400)
    app.connect("autodoc-process-signature", _prepare_annotations, priority=400)
    app.connect("autodoc-process-docstring", _prepare_annotations, priority=400)

# Error messages on the pages are part of what they teach: compare them too (Sphinx's default
# includes IGNORE_EXCEPTION_DETAIL, which checks only the exception's class).
import doctest as _doctest  # noqa: E402

doctest_default_flags = _doctest.ELLIPSIS | _doctest.DONT_ACCEPT_TRUE_FOR_1
