"""The client's generated code: ``client/_model.py`` (its wire types and its operations: a
``Literal`` alias per enum, a ``TypedDict`` per structure the client sends or receives, an exception
class per modelled error, and one typed method per operation whose docstring is the model's
documentation with the HTML stripped) and ``client/types.py`` (the public re-export of the types).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from botocore import xform_name

from scripts.codegen.common import (
    PACKAGE,
    enum_alias,
    is_enum,
    module_head,
    python_type,
    reachable,
    typed_dict_fields,
)

SERVICE = "cognito-identity"
MODEL_TARGET = PACKAGE / "client" / "_model.py"
TYPES_TARGET = PACKAGE / "client" / "types.py"
API_REFERENCE = "https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_{}.html"
WIDTH = 100

#: The operations ``paginate`` walks, and the list each page carries. botocore's model has a
#: paginator for ListIdentityPools only; the other two page the same way (``NextToken`` in and out).
PAGINATED = {
    "ListIdentityPools": "IdentityPools",
    "ListIdentities": "Identities",
    "LookupDeveloperIdentity": "DeveloperUserIdentifierList",
}

#: Errors every AWS JSON service may answer with that no service model lists; their classes are
#: hand-written in ``_errors.py`` (kept in step with the server's ``errors.py``).
FRONT_END_ERRORS = (
    "AccessDeniedException",
    "ExpiredTokenException",
    "IncompleteSignatureException",
    "InternalFailure",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "SerializationException",
    "ThrottlingException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationException",
)

#: Typographic characters of the model's prose, as ASCII (ruff flags them as ambiguous).
ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})

# -- documentation: the model's HTML as plain text -----------------------------------------------


class _TextOf(HTMLParser):
    """Collects the text of the model's documentation HTML as paragraphs and bullet items.

    Only the tags the model uses carry meaning: ``p``, ``li``, ``code``, ``a``, ``note`` and
    ``important``; any other tag keeps its text and loses its markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.href: str | None = None
        self.after_code = False

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(self.prefix + text)
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.flush()
            self.prefix = "- "
        elif tag in ("p", "ul", "ol", "note", "important"):
            # A paragraph opening an item or a note keeps the item's dash or the note's label.
            if not (tag == "p" and self.prefix and not "".join(self.current).strip()):
                self.flush()
            if tag in ("note", "important"):
                self.prefix = "Note: " if tag == "note" else "Important: "
        elif tag == "code":
            self.current.append("``")
        elif tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self.current.append("``")
            self.after_code = True
            return
        if tag == "a":
            if self.href and self.href.startswith("http"):
                self.current.append(f" ({self.href})")
            self.href = None
        elif tag in ("p", "li", "ul", "ol"):
            # A paragraph inside an item ends the item too: the model writes <li><p>..</p></li>.
            self.flush()

    def handle_data(self, data: str) -> None:
        # The model writes "<code>x</code>operation"; reST needs a space after a literal.
        if self.after_code and data[:1].isalnum():
            data = " " + data
        self.after_code = False
        self.current.append(data)


def plain(html: str) -> list[str]:
    """The model's documentation ``html`` as a list of plain-text paragraphs ("- " for items)."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    parser.flush()
    return [block.translate(ASCII).replace("\\", "\\\\") for block in parser.blocks]


def wrap(blocks: Iterable[str], indent: str, head: str | None = None) -> list[str]:
    """Paragraphs wrapped to :data:`WIDTH` under ``indent``; bullet items hang under their dash.
    ``head`` replaces the indent of the very first line (``"    Name: "`` for an argument)."""
    lines: list[str] = []
    previous_item = True
    for i, block in enumerate(blocks):
        item = block.startswith("- ")
        if i and not (item and previous_item):
            lines.append("")
        lines.extend(
            textwrap.wrap(
                block,
                WIDTH,
                initial_indent=head if i == 0 and head is not None else indent,
                subsequent_indent=indent + ("  " if item else ""),
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        previous_item = item
    return lines


def one_line(html: str) -> str:
    return " ".join(plain(html))


# -- types -----------------------------------------------------------------------------------------


class Generator:
    def __init__(self, model: dict[str, Any], botocore_version: str) -> None:
        self.model = model
        self.botocore_version = botocore_version
        self.shapes: dict[str, Any] = model["shapes"]
        self.operations: dict[str, Any] = model["operations"]

    def type_of(self, name: str, *, top_input: bool = False) -> str:
        return python_type(self.shapes, name, top_input=top_input)

    def type_names(self) -> tuple[list[str], list[str]]:
        """The enums and the structures to generate: everything an operation returns, and every
        structure or enum nested in an operation's input (the inputs themselves become keyword
        parameters)."""
        roots: list[str] = []
        for op in self.operations.values():
            roots += [op["output"]["shape"]] if "output" in op else []
            roots += [m["shape"] for m in self.shapes[op["input"]["shape"]]["members"].values()]
        seen = reachable(self.shapes, roots)
        enums = sorted(n for n in seen if is_enum(self.shapes[n]))
        structures = sorted(
            n
            for n in seen
            if self.shapes[n]["type"] == "structure"
            and self.shapes[n]["members"]
            and not self.shapes[n].get("exception")
        )
        return enums, structures

    def errors(self) -> list[str]:
        return sorted(n for n, s in self.shapes.items() if s.get("exception"))

    # -- rendering ---------------------------------------------------------------------------------

    def docstring(self, blocks: list[str], indent: str) -> list[str]:
        if not blocks:
            return []
        body = wrap(blocks, indent, head=indent + '"""')
        if len(body) == 1 and len(body[0]) + 3 <= WIDTH:
            body[0] += '"""'
        else:
            body.append(indent + '"""')
        return body

    def render_structure(self, name: str) -> list[str]:
        shape = self.shapes[name]
        required = set(shape.get("required", []))
        doc = plain(shape.get("documentation", "")) or [f"The ``{name}`` structure."]
        keys = []
        for member, spec in shape["members"].items():
            text = one_line(spec.get("documentation", "")) or "(undocumented)"
            keys.append(f"- ``{member}``{' (required)' if member in required else ''}: {text}")
        lines = [f"class {name}(TypedDict, total=False):"]
        lines += self.docstring([*doc, "Keys:", *keys] if keys else doc, "    ")
        return lines + typed_dict_fields(self.shapes, name)

    def render_error(self, name: str) -> list[str]:
        shape = self.shapes[name]
        doc = plain(shape.get("documentation", "")) or [f"``{name}``."]
        lines = [
            f"class {name}(CognitoIdentityError):",
            *self.docstring(doc, "    "),
            "",
            f'    code = "{name}"',
        ]
        if shape.get("fault"):
            lines.append("    default_status_code = 500")
        return lines

    def parameters(self, op: dict[str, Any]) -> list[tuple[str, str, bool, str]]:
        """(name, type, required, documentation) of an operation's input, required ones first."""
        shape = self.shapes[op["input"]["shape"]]
        required = shape.get("required", [])
        members = shape["members"]
        ordered = [m for m in members if m in required] + [m for m in members if m not in required]
        return [
            (
                m,
                self.type_of(members[m]["shape"], top_input=True),
                m in required,
                members[m].get("documentation", ""),
            )
            for m in ordered
        ]

    def returns(self, op: dict[str, Any]) -> str:
        if "output" not in op or not self.shapes[op["output"]["shape"]]["members"]:
            return "EmptyResponse"
        name: str = op["output"]["shape"]
        return name

    def method_doc(self, name: str, op: dict[str, Any]) -> list[str]:
        blocks = plain(op.get("documentation", ""))
        lines = wrap(blocks, " " * 8, head=" " * 8 + '"""')
        lines += ["", f"        AWS API: ``{name}`` ({API_REFERENCE.format(name)})."]
        params = self.parameters(op)
        if params:
            lines += ["", "        Args:"]
            for member, _, required, doc in params:
                text = plain(doc) or ["(undocumented)"]
                if required:
                    text[0] = "Required. " + text[0]
                lines += wrap(text, " " * 16, head=f"            {member}: ")
        output = self.returns(op)
        lines += ["", "        Returns:"]
        if output == "EmptyResponse":
            lines.append("            An empty dict.")
        else:
            lines.append(f"            A dict (``{output}``):")
            for member, spec in self.shapes[output]["members"].items():
                text = plain(spec.get("documentation", "")) or ["(undocumented)"]
                lines += wrap(text, " " * 16, head=f"            - ``{member}``: ")
        errors = [e["shape"] for e in op.get("errors", [])]
        if errors:
            lines += ["", "        Raises:"]
            for error in errors:
                text = plain(self.shapes[error].get("documentation", "")) or [error]
                lines += wrap(text, " " * 16, head=f"            {error}: ")
        lines.append('        """')
        return lines

    def render_method(self, name: str) -> list[str]:
        op = self.operations[name]
        params = self.parameters(op)
        output = self.returns(op)
        lines = [f"    def {xform_name(name)}(", "        self,"]
        if params:
            lines.append("        *,")
        for member, kind, required, _ in params:
            lines.append(
                f"        {member}: {kind},"
                if required
                else f"        {member}: {kind} | None = None,"
            )
        lines.append(f"    ) -> {output}:")
        lines += self.method_doc(name, op)
        arguments = ", ".join(f'"{m}": {m}' for m, *_ in params)
        lines.append(f'        return cast({output}, self._call("{name}", {{{arguments}}}))')
        return lines

    def render_paginate(self) -> list[str]:
        lines: list[str] = []
        for name, result_key in PAGINATED.items():
            op = self.operations[name]
            item = self.type_of(self.shapes[op["output"]["shape"]]["members"][result_key]["shape"])
            item = item.removeprefix("list[").removesuffix("]")
            lines += ["    @overload", "    def paginate(", "        self,"]
            lines.append(f'        operation: Literal["{xform_name(name)}"],')
            lines += ["        /,", "        *,"]
            for member, kind, required, _ in self.parameters(op):
                lines.append(
                    f"        {member}: {kind},"
                    if required
                    else f"        {member}: {kind} | None = None,"
                )
            lines.append(f"    ) -> Pages[{op['output']['shape']}, {item}]: ...")
            lines.append("")
        lines += [
            "    def paginate(self, operation: str, /, **params: Any) -> Pages[Any, Any]:",
            '        """Every page of a listing, fetched as you iterate: ``NextToken`` from each',
            "        page feeds the next request, until a page comes without one.",
            "",
            "        ``operation`` is the method's name (``list_identity_pools``, ``list_identities``",
            "        or ``lookup_developer_identity``); ``params`` are its keyword arguments, checked",
            "        now (a ``TypeError`` names a missing or unknown one) and sent with every page.",
            "        ``NextToken`` given here is where the walk starts. ``.items()`` on the result",
            "        yields the listed things themselves instead of pages.",
            '        """',
            "        return self._paginate(operation, params)",
            "",
        ]
        return lines

    def render(self) -> str:
        enums, structures = self.type_names()
        errors = self.errors()
        version = self.model["metadata"]["apiVersion"]
        summary = f"Wire types and operations of Amazon Cognito Identity ({version})."
        out = [
            *module_head(summary, self.model, self.botocore_version),
            "from collections.abc import Mapping, Sequence",
            "from datetime import datetime",
            "from typing import Any, Literal, Required, TypedDict, cast, overload",
            "",
            "from cognitoidentity.client._errors import (",
            *(
                f"    {e},"
                for e in sorted(["CognitoIdentityError", *FRONT_END_ERRORS], key=str.lower)
            ),
            ")",
            "from cognitoidentity.client._paginate import Pages",
            "",
            f"OPERATION_NAMES = ({', '.join(repr(n) for n in self.operations)},)",
            "",
            "#: The list each page of a paginated operation carries.",
            f"PAGINATED = {PAGINATED!r}",
            "",
        ]
        for name in enums:
            out.append(enum_alias(self.shapes, name))
        out += ["", ""]
        for name in structures:
            out += [*self.render_structure(name), "", ""]
        out += [
            "class EmptyResponse(TypedDict):",
            '    """What an operation without output returns: an empty dict."""',
            "",
            "",
        ]
        for name in errors:
            out += [*self.render_error(name), "", ""]
        out += [
            "class Exceptions:",
            '    """Every error class by its AWS code, as ``svc.exceptions.<Code>``."""',
            "",
            "    CognitoIdentityError = CognitoIdentityError",
        ]
        out += [f"    {e} = {e}" for e in sorted([*errors, *FRONT_END_ERRORS])]
        out += ["", ""]
        out += [
            f"MODELLED_ERRORS: tuple[type[CognitoIdentityError], ...] = ({', '.join(errors)},)",
            "",
            "",
            "class Operations:",
            '    """The operations of Amazon Cognito Identity as methods, one per operation."""',
            "",
            "    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:",
            "        raise NotImplementedError",
            "",
            "    def _paginate(self, operation: str, params: dict[str, Any]) -> Pages[Any, Any]:",
            "        raise NotImplementedError",
            "",
        ]
        for name in self.operations:
            out += [*self.render_method(name), ""]
        out += self.render_paginate()
        return "\n".join(out).rstrip() + "\n"

    def render_types(self) -> str:
        """The public module re-exporting the wire types, for annotations in user code."""
        enums, structures = self.type_names()
        names = sorted([*enums, *structures, "EmptyResponse"], key=str.lower)
        out = [
            '"""The typed shapes of Amazon Cognito Identity\'s requests and results, for annotations::',
            "",
            "    from cognitoidentity.client.types import IdentityPool",
            "",
            "Generated with ``_model.py`` by ``python -m scripts.codegen``; never edit by hand.",
            '"""',
            "",
            "from cognitoidentity.client._model import (",
            *(f"    {n}," for n in names),
            ")",
            "",
            "__all__ = [",
            *(f'    "{n}",' for n in sorted(names)),
            "]",
        ]
        return "\n".join(out) + "\n"
