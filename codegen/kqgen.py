#!/usr/bin/env python3
"""Kueue-C code generator: schema/*.yaml -> generated/.

Reads the protocol schema, checks it (unknown types, duplicate names, bad
references and attributes are errors that name the place), and renders the
Jinja2 templates in codegen/templates into the C layer and the Python
module.  Output is deterministic: same schema, same bytes.

    kqgen.py [--schema FILE] [--out DIR]     write generated files
    kqgen.py --check DIR                     regenerate into a temporary
                                             folder, diff against DIR, exit 1
                                             on any difference
"""

import argparse
import difflib
import os
import re
import sys
import tempfile
import textwrap

try:
    import jinja2
    import yaml
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.exit(
        "kqgen: %s. The generator needs Jinja2 and PyYAML: install Debian's "
        "python3-jinja2 and python3-yaml and run it with /usr/bin/python3." % exc
    )

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PRIMITIVES = ("u64", "i64", "i32", "f64", "bool", "string", "path", "timestamp")
STRINGS = ("string", "path")
C_TYPES = {
    "u64": "uint64_t", "i64": "int64_t", "i32": "int32_t", "f64": "double",
    "bool": "bool", "string": "kq_str", "path": "kq_str", "timestamp": "kq_time",
    "map": "kq_u64_map", "set": "kq_u64_set",
}


class SchemaError(Exception):
    pass


# ---------------------------------------------------------------- types --


class Type:
    """A parsed type expression such as option<map<string,u64>>."""

    def __init__(self, kind, arg=None, name=None):
        self.kind = kind  # primitive name, option, list, map, set, ref
        self.arg = arg  # inner Type for option and list
        self.name = name  # referenced type name for ref
        self.target = None  # the referenced TypeDef once resolved

    def __str__(self):
        if self.kind == "ref":
            return self.name
        if self.kind in ("option", "list"):
            return "%s<%s>" % (self.kind, self.arg)
        if self.kind == "map":
            return "map<string,u64>"
        if self.kind == "set":
            return "set<u64>"
        return self.kind

    @property
    def is_string(self):
        return self.kind in STRINGS

    @property
    def c_type(self):
        """The C type of a field of this type."""
        if self.kind == "option":
            return self.arg.c_type
        if self.kind == "list":
            return "kq_str_list" if self.arg.is_string else self.arg.target.c_type + "_list"
        if self.kind == "ref":
            return self.target.c_type
        return C_TYPES[self.kind]

    @property
    def owns(self):
        """Whether a value of this type holds memory to free."""
        if self.kind == "option":
            return self.arg.owns
        return self.is_string or self.kind in ("list", "map", "set", "ref")

    @property
    def has_flag(self):
        """option<T> other than of a string: the field gets a has_ flag."""
        return self.kind == "option" and not self.arg.is_string


def parse_type(text, where):
    """Parses a type expression; raises SchemaError naming `where`."""
    s = text.replace(" ", "")

    def parse(i):
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", s[i:])
        if not m:
            raise SchemaError("%s: bad type %r" % (where, text))
        word = m.group(0)
        i += len(word)
        if word in ("option", "list", "map", "set"):
            if i >= len(s) or s[i] != "<":
                raise SchemaError("%s: %s needs <...> in %r" % (where, word, text))
            if word == "map":
                if not s.startswith("<string,u64>", i):
                    raise SchemaError("%s: only map<string,u64> is supported, got %r" % (where, text))
                return Type("map"), i + len("<string,u64>")
            if word == "set":
                if not s.startswith("<u64>", i):
                    raise SchemaError("%s: only set<u64> is supported, got %r" % (where, text))
                return Type("set"), i + len("<u64>")
            inner, i = parse(i + 1)
            if i >= len(s) or s[i] != ">":
                raise SchemaError("%s: missing '>' in %r" % (where, text))
            return Type(word, arg=inner), i + 1
        if word in PRIMITIVES:
            return Type(word), i
        if not word[0].isupper():
            raise SchemaError("%s: unknown type %r" % (where, word))
        return Type("ref", name=word), i

    t, end = parse(0)
    if end != len(s):
        raise SchemaError("%s: trailing text in type %r" % (where, text))
    return t


def check_combination(t, where):
    """Keeps to the closed set of shapes the runtimes implement."""
    if t.kind == "option" and t.arg.kind == "option":
        raise SchemaError("%s: option<%s> is not supported (an option of anything but an option)"
                          % (where, t.arg))
    if t.kind == "list" and not (t.arg.is_string or t.arg.kind == "ref"):
        raise SchemaError("%s: list<%s> is not supported (list of strings or of a named type)" % (where, t.arg))


# ---------------------------------------------------------------- model --


def snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def check_spec(spec, where, what, allowed, required):
    """The checks every schema entry gets: a mapping, no unknown attribute,
    every required one present."""
    if not isinstance(spec, dict):
        raise SchemaError("%s: a %s must be a mapping" % (where, what))
    unknown = set(spec) - allowed
    if unknown:
        raise SchemaError("%s: unknown attribute %s" % (where, ", ".join(sorted(unknown))))
    for key in required:
        if key not in spec:
            raise SchemaError("%s: missing %r" % (where, key))


SNAKE = (r"[a-z][a-z0-9_]*", "snake_case")
CAMEL = (r"[A-Z][A-Za-z0-9]*", "CamelCase")


def check_name(name, style, where, what):
    if not re.fullmatch(style[0], str(name)):
        raise SchemaError("%s: %s %r is not %s" % (where, what, name, style[1]))
    return name


def load_yaml(path, rel, allowed):
    """The top-level mapping of a schema file."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise SchemaError("%s: %s" % (rel, exc))
    if not isinstance(data, dict):
        raise SchemaError("%s: expected a mapping at the top" % rel)
    unknown = set(data) - allowed
    if unknown:
        raise SchemaError("%s: unknown top-level key %s" % (rel, ", ".join(sorted(unknown))))
    return data


def extension_level(spec, where, schema):
    """The `extension` attribute of a field or variant: 0 (the original's)
    when absent, else a level of the schema's extensions table."""
    if "extension" not in spec:
        return 0
    level = spec["extension"]
    if isinstance(level, bool) or level not in schema.extensions:
        raise SchemaError("%s: extension %r is not a level of the extensions table (%s)"
                          % (where, level, ", ".join(str(k) for k in sorted(schema.extensions)) or "empty"))
    return level


class Field:
    ATTRS = {"name", "type", "doc", "max_len", "item_max_len", "key_max_len", "extension", "boxed"}

    def __init__(self, spec, where, schema, named=True):
        limits = schema.limits
        check_spec(spec, where, "field", self.ATTRS, ("name", "type", "doc"))
        self.name = check_name(spec["name"], SNAKE, where, "field name")
        if named:
            where = "%s (%s)" % (where, self.name)
        self.doc = str(spec["doc"]).strip()
        self.type = parse_type(str(spec["type"]), where)
        check_combination(self.type, where)
        self.where = where
        self.extension = extension_level(spec, where, schema)
        # A boxed option<Struct> is a pointer in C (NULL when absent), so
        # that a large, rarely set group of fields costs its owner one
        # pointer; on the wire and in Python nothing changes.
        self.boxed = spec.get("boxed", False)
        if not isinstance(self.boxed, bool):
            raise SchemaError("%s: boxed must be true or false" % where)
        if self.boxed and not (self.type.kind == "option" and self.type.arg.kind == "ref"):
            raise SchemaError("%s: boxed only applies to option<T> of a named struct type" % where)
        if self.extension and self.type.kind != "option":
            raise SchemaError("%s: an extension field must be optional (option<...>): peers of an "
                              "earlier level neither send nor expect it, and it is left out when unset"
                              % where)
        base = self.type.arg if self.type.kind == "option" else self.type
        sized = base.is_string or base.kind in ("list", "map", "set")
        if "max_len" in spec and not sized:
            raise SchemaError("%s: max_len only applies to strings, lists, maps and sets" % where)
        if "item_max_len" in spec and not (base.kind == "list" and base.arg.is_string):
            raise SchemaError("%s: item_max_len only applies to lists of strings" % where)
        if "key_max_len" in spec and base.kind != "map":
            raise SchemaError("%s: key_max_len only applies to maps" % where)
        default = "string" if base.is_string else "list"
        self.max_len = resolve_limit(spec.get("max_len", default), limits, where)
        self.item_max_len = resolve_limit(spec.get("item_max_len", "string"), limits, where)
        self.key_max_len = resolve_limit(spec.get("key_max_len", "string"), limits, where)


class Limit:
    """A decoder limit: its value and how each language spells it."""

    def __init__(self, value, name=None):
        self.value = value
        self.c = "KQ_LIMIT_" + name.upper() if name else str(value)
        self.py = "LIMITS[%r]" % name if name else str(value)

    def __str__(self):
        return self.c


def resolve_limit(value, limits, where):
    if isinstance(value, bool):
        raise SchemaError("%s: a limit must be a number or a name from limits" % where)
    if isinstance(value, int):
        if value <= 0:
            raise SchemaError("%s: a limit must be positive" % where)
        return Limit(value)
    if value in limits:
        return Limit(limits[value], value)
    raise SchemaError("%s: unknown limit %r (limits: %s)" % (where, value, ", ".join(sorted(limits))))


class Variant:
    ATTRS = {"name", "doc", "type", "fields", "max_len", "extension"}

    def __init__(self, spec, where, schema, owner):
        check_spec(spec, where, "variant", self.ATTRS, ("name", "doc"))
        self.name = check_name(spec["name"], CAMEL, where, "variant name")
        where = "%s (%s)" % (where, self.name)
        self.where = where
        self.doc = str(spec["doc"]).strip()
        self.extension = extension_level(spec, where, schema)
        self.snake = snake(self.name)
        self.const = "KQ_%s_%s" % (owner.c_name.upper(), self.snake.upper())
        self.fields = []
        self.type = None
        if "type" in spec and "fields" in spec:
            raise SchemaError("%s: a variant has a type (newtype) or fields (struct), not both" % where)
        if "type" in spec:
            self.form = "newtype"
            self.field = Field({"name": self.snake, "type": spec["type"], "doc": self.doc,
                                **({"max_len": spec["max_len"]} if "max_len" in spec else {})},
                               where, schema, named=False)
            self.type = self.field.type
            if self.type.kind == "option":
                raise SchemaError("%s: a newtype variant cannot hold an option" % where)
        elif "fields" in spec:
            if "max_len" in spec:
                raise SchemaError("%s: max_len belongs on the fields of a struct variant" % where)
            self.form = "struct"
            self.fields = load_fields(spec["fields"], where, schema, self.extension)
            self.c_struct = "kq_%s_%s" % (owner.c_name, self.snake)
            self.c_fn = "%s_%s" % (owner.c_name, self.snake)
        else:
            if "max_len" in spec:
                raise SchemaError("%s: a unit variant has no max_len" % where)
            self.form = "unit"

    @property
    def owns(self):
        if self.form == "newtype":
            return self.type.owns
        return any(f.type.owns for f in self.fields)


def load_fields(specs, where, schema, owner_level=0):
    """The fields of a struct or struct variant of extension level
    owner_level (0: the original's).  Extension fields come after the
    others, in ascending level, each of a level above its owner's; the
    first field is never one (a struct always has a field every peer
    writes)."""
    if not isinstance(specs, list) or not specs:
        raise SchemaError("%s: fields must be a non-empty list" % where)
    fields = []
    seen = set()
    for i, spec in enumerate(specs):
        f = Field(spec, "%s.fields[%d]" % (where, i), schema)
        if f.name in seen:
            raise SchemaError("%s: duplicate field %r" % (f.where, f.name))
        if f.extension and f.extension <= owner_level:
            raise SchemaError("%s: extension %d is redundant: its variant is of extension %d already"
                              % (f.where, f.extension, owner_level))
        if f.extension and not fields:
            raise SchemaError("%s: the first field cannot be an extension field" % f.where)
        if fields and f.extension < fields[-1].extension:
            raise SchemaError("%s: extension fields come last, in ascending level (after %s, of level %d)"
                              % (f.where, fields[-1].name, fields[-1].extension))
        seen.add(f.name)
        fields.append(f)
    return fields


class TypeDef:
    ATTRS = {"kind", "c_name", "doc", "fields", "variants", "closed"}

    def __init__(self, name, spec, where, schema):
        self.name = check_name(name, CAMEL, where, "type name")
        check_spec(spec, where, "type", self.ATTRS, ("kind", "c_name", "doc"))
        self.kind = spec["kind"]
        self.c_name = check_name(spec["c_name"], SNAKE, where, "c_name")
        self.c_type = "kq_" + self.c_name
        self.doc = str(spec["doc"]).strip()
        self.where = where
        self.in_list = False
        self.closed = spec.get("closed", False)
        if not isinstance(self.closed, bool):
            raise SchemaError("%s: closed must be true or false" % where)
        if self.kind == "struct":
            if "variants" in spec or "closed" in spec:
                raise SchemaError("%s: a struct has fields, not variants (nor closed)" % where)
            self.fields = load_fields(spec.get("fields"), where, schema)
            self.variants = []
        elif self.kind == "enum":
            if "fields" in spec:
                raise SchemaError("%s: an enum has variants, not fields" % where)
            specs = spec.get("variants")
            if not isinstance(specs, list) or not specs:
                raise SchemaError("%s: variants must be a non-empty list" % where)
            self.variants = []
            seen = set()
            for i, v in enumerate(specs):
                var = Variant(v, "%s.variants[%d]" % (where, i), schema, self)
                if var.name in seen:
                    raise SchemaError("%s.variants[%d]: duplicate variant %r" % (where, i, var.name))
                if var.extension and self.closed:
                    raise SchemaError("%s: %s is closed: no variant may be added to it, not even as "
                                      "an extension" % (var.where, name))
                if self.variants and var.extension < self.variants[-1].extension:
                    raise SchemaError("%s: extension variants come last, in ascending level (after %s, "
                                      "of level %d)" % (var.where, self.variants[-1].name,
                                                        self.variants[-1].extension))
                seen.add(var.name)
                self.variants.append(var)
            self.fields = []
        else:
            raise SchemaError("%s: kind must be struct or enum, got %r" % (where, self.kind))

    @property
    def owns(self):
        return any(f.type.owns for f in self.all_fields())

    @property
    def extension_variants(self):
        return [v for v in self.variants if v.extension]

    def all_fields(self):
        for f in self.fields:
            yield f
        for v in self.variants:
            if v.form == "newtype":
                yield v.field
            yield from v.fields


class Extension:
    """One level of the extensions table: the Kueue-C release that
    introduced it and what it brought."""

    def __init__(self, level, spec, where):
        check_spec(spec, where, "extension", {"release", "doc"}, ("release", "doc"))
        self.level = level
        self.release = str(spec["release"])
        if not re.fullmatch(r"\d+\.\d+\.\d+", self.release):
            raise SchemaError("%s: release %r is not a version like 0.20.0" % (where, self.release))
        self.doc = str(spec["doc"]).strip()


def load_extensions(specs, rel):
    """The extensions table: levels 1, 2, ... each with its release."""
    if specs is None:
        return {}
    if not isinstance(specs, dict):
        raise SchemaError("%s: extensions must be a mapping of levels" % rel)
    levels = sorted(specs, key=lambda k: (not isinstance(k, int), str(k)))
    if any(isinstance(k, bool) or not isinstance(k, int) for k in levels) or \
            levels != list(range(1, len(levels) + 1)):
        raise SchemaError("%s: extension levels must be the integers 1, 2, ... without gaps, got %s"
                          % (rel, ", ".join(str(k) for k in levels)))
    return {k: Extension(k, specs[k], "%s: extensions.%d" % (rel, k)) for k in levels}


class Schema:
    def __init__(self, path):
        self.path = path
        self.rel = os.path.relpath(path, ROOT)
        data = load_yaml(path, self.rel,
                         {"schema_version", "reference", "limits", "extensions", "types"})
        self.version = data.get("schema_version")
        if not isinstance(self.version, int):
            raise SchemaError("%s: schema_version must be an integer" % self.rel)
        self.reference = str(data.get("reference", ""))
        limits = data.get("limits") or {}
        for key in ("string", "list"):
            if key not in limits:
                raise SchemaError("%s: limits.%s is required" % (self.rel, key))
        for key, value in limits.items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise SchemaError("%s: limits.%s must be a positive integer" % (self.rel, key))
        self.limits = limits
        self.extensions = load_extensions(data.get("extensions"), self.rel)
        self.extension_level = max(self.extensions, default=0)
        types = data.get("types")
        if not isinstance(types, dict) or not types:
            raise SchemaError("%s: types must be a non-empty mapping" % self.rel)
        self.types = {}
        c_names = {}
        for name, spec in types.items():
            t = TypeDef(name, spec, "%s: types.%s" % (self.rel, name), self)
            if t.c_name in c_names:
                raise SchemaError("%s: c_name %r already used by %s" % (t.where, t.c_name, c_names[t.c_name]))
            c_names[t.c_name] = name
            self.types[name] = t
        self.resolve()
        self.order = self.topological()

    def resolve(self):
        for t in self.types.values():
            for f in t.all_fields():
                ty = f.type
                while ty.kind in ("option", "list"):
                    if ty.kind == "list" and ty.arg.kind == "ref":
                        pass
                    ty = ty.arg
                if ty.kind == "ref":
                    if ty.name not in self.types:
                        raise SchemaError("%s: reference to undefined type %r" % (f.where, ty.name))
                    ty.target = self.types[ty.name]
                    if getattr(f, "boxed", False) and ty.target.kind != "struct":
                        raise SchemaError("%s: boxed only applies to option<T> of a named struct type, "
                                          "and %s is an enum" % (f.where, ty.name))
                    if ty.target.extension_variants:
                        raise SchemaError(
                            "%s: %s has extension variants, so it can only be a message (no other "
                            "type may contain it): a sender checks the variant of the message it "
                            "sends, not of the values inside" % (f.where, ty.name))
                listed = f.type.arg if f.type.kind == "option" else f.type
                if listed.kind == "list" and listed.arg.kind == "ref":
                    listed.arg.target.in_list = True

    def deps(self, t):
        for f in t.all_fields():
            ty = f.type
            while ty.kind in ("option", "list"):
                ty = ty.arg
            if ty.kind == "ref":
                yield ty.target

    def topological(self):
        order, state = [], {}

        def visit(t, chain):
            if state.get(t.name) == "done":
                return
            if state.get(t.name) == "active":
                raise SchemaError("%s: recursive type %s" % (t.where, " -> ".join(chain + [t.name])))
            state[t.name] = "active"
            for dep in self.deps(t):
                visit(dep, chain + [t.name])
            state[t.name] = "done"
            order.append(t)

        for t in self.types.values():
            visit(t, [])
        return order


# --------------------------------------------------------------- config --

CONFIG_TYPES = {"string": "char *", "u16": "uint16_t", "u64": "uint64_t", "f64": "double", "bool": "bool"}


class ConfigKey:
    ATTRS = {"name", "type", "default", "template", "doc", "choices", "min", "max", "above",
             "ours"}

    def __init__(self, spec, where):
        check_spec(spec, where, "key", self.ATTRS, ("name", "type", "doc"))
        self.name = check_name(spec["name"], SNAKE, where, "key name")
        where = "%s (%s)" % (where, self.name)
        self.type = spec["type"]
        if self.type not in CONFIG_TYPES:
            raise SchemaError("%s: unknown type %r (one of %s)" % (where, self.type, ", ".join(CONFIG_TYPES)))
        self.c_type = CONFIG_TYPES[self.type]
        self.doc = str(spec["doc"]).strip()
        self.ours = bool(spec.get("ours", False))
        self.choices = spec.get("choices")
        if self.choices is not None and (self.type != "string" or not isinstance(self.choices, list)):
            raise SchemaError("%s: choices must be a list, on a string key" % where)
        self.check_bounds(spec, where)
        self.required = "default" not in spec
        self.random = None
        default = spec.get("default")
        if isinstance(default, dict):
            if set(default) != {"random"} or self.type != "string":
                raise SchemaError("%s: the only computed default is {random: LENGTH} on a string" % where)
            self.random = default["random"]
            default = None
        elif not self.required:
            self.check_value(default, "default", where)
        self.default = default
        self.template = spec.get("template")
        if "template" in spec:
            if self.required or self.random or self.type == "string":
                raise SchemaError("%s: template applies to a number or bool key with a "
                                  "default" % where)
            self.check_value(self.template, "template", where)

    def check_value(self, value, attr, where):
        """A default or template value must be of the key's type, one of
        its choices and within its bounds."""
        ok = {"string": lambda v: isinstance(v, str),
              "u16": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 65535,
              "u64": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
              "f64": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "bool": lambda v: isinstance(v, bool)}[self.type]
        if not ok(value):
            raise SchemaError("%s: %s %r is not a %s" % (where, attr, value, self.type))
        if self.choices and value not in self.choices:
            raise SchemaError("%s: %s %r is not one of the choices" % (where, attr, value))
        if not self.in_bounds(value):
            raise SchemaError("%s: %s %r is not %s" % (where, attr, value, self.range_text))

    def check_bounds(self, spec, where):
        """min and max (inclusive) bound numbers, above (exclusive) floats;
        the generated code passes them to kq_cfgval_u16/u64/f64."""
        integer = self.type in ("u16", "u64")
        for attr in ("min", "max", "above"):
            if attr not in spec:
                continue
            value = spec[attr]
            if self.type not in ("u16", "u64", "f64") or (attr == "above" and integer):
                raise SchemaError("%s: %s only applies to %s keys"
                                  % (where, attr, "f64" if attr == "above" else "number"))
            if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
                raise SchemaError("%s: %s must be %s" % (where, attr, "an integer" if integer else "a number"))
        if "min" in spec and "above" in spec:
            raise SchemaError("%s: give min or above, not both" % where)
        top = {"u16": 65535, "u64": 2**63 - 1}.get(self.type)
        self.min = spec.get("min", 0 if integer else None)
        self.max = spec.get("max")
        self.above = spec.get("above")
        if integer and not 0 <= self.min <= (self.max if self.max is not None else top) <= top:
            raise SchemaError("%s: bounds must satisfy 0 <= min <= max <= %d" % (where, top))
        low = self.min if self.min is not None else self.above
        if not integer and low is not None and self.max is not None and low >= self.max:
            raise SchemaError("%s: the lower bound must be below max" % where)

    def in_bounds(self, v):
        if self.type not in ("u16", "u64", "f64"):
            return True
        return ((self.min is None or v >= self.min) and (self.above is None or v > self.above)
                and (self.max is None or v <= self.max))

    @property
    def range_text(self):
        """What the generated check says it expected."""
        if self.type in ("u16", "u64"):
            return "an integer from %d to %d" % (self.min, self.max)
        if self.min is not None and self.max is not None:
            return "a number from %s to %s" % (c_number(self.min), c_number(self.max))
        parts = []
        if self.min is not None:
            parts.append("at least %s" % c_number(self.min))
        if self.above is not None:
            parts.append("greater than %s" % c_number(self.above))
        if self.max is not None:
            parts.append("at most %s" % c_number(self.max))
        return "a number " + " and ".join(parts)

    @property
    def c_bounds(self):
        """The bound arguments of the key's kq_cfgval_u16/u64/f64 call."""
        if self.type == "u16":
            return "%d, %d" % (self.min, 65535 if self.max is None else self.max)
        if self.type == "u64":
            return "%s, %s" % (c_number(self.min, "u64"),
                               "UINT64_MAX" if self.max is None else c_number(self.max, "u64"))
        low = self.min if self.min is not None else self.above
        return "%s, %s, %s" % ("-INFINITY" if low is None else c_number(low, "f64"),
                               "true" if self.above is not None else "false",
                               "INFINITY" if self.max is None else c_number(self.max, "f64"))

    def c_value(self, value):
        if self.type == "string":
            return c_string(value)
        if self.type == "bool":
            return "true" if value else "false"
        if self.type == "f64":
            return repr(float(value))
        return str(value)

    @property
    def c_default(self):
        return self.c_value(self.default)

    @property
    def c_template(self):
        """What a new file (the template) sets the key to."""
        return self.c_value(self.template)


class ConfigSection:
    ATTRS = {"name", "doc", "keys", "optional", "map", "example"}

    def __init__(self, spec, where):
        check_spec(spec, where, "section", self.ATTRS, ("name", "doc"))
        self.name = check_name(spec["name"], SNAKE, where, "section name")
        where = "%s (%s)" % (where, self.name)
        self.doc = str(spec["doc"]).strip()
        self.optional = bool(spec.get("optional", False))
        # Lines of keys the template shows commented out when the section
        # is absent, so that a new file says how to add it.
        example = spec.get("example")
        self.example = [] if example is None else str(example).strip().splitlines()
        if example is not None and (not self.optional or not self.example):
            raise SchemaError("%s: an example is some key lines, for an optional section" % where)
        self.map = spec.get("map")
        if self.map is not None:
            if self.map != "u64" or "keys" in spec:
                raise SchemaError("%s: a map section is `map: u64` without keys" % where)
            self.keys = []
        else:
            specs = spec.get("keys")
            if not isinstance(specs, list) or not specs:
                raise SchemaError("%s: keys must be a non-empty list" % where)
            self.keys = []
            for i, k in enumerate(specs):
                key = ConfigKey(k, "%s.keys[%d]" % (where, i))
                if any(key.name == other.name for other in self.keys):
                    raise SchemaError("%s.keys[%d]: duplicate key %r" % (where, i, key.name))
                self.keys.append(key)
            if not self.optional and any(k.required for k in self.keys):
                raise SchemaError("%s: a section that may be absent is needed for required keys "
                                  "(set optional: true or give defaults)" % where)


class ConfigSchema:
    def __init__(self, path):
        self.path = path
        self.rel = os.path.relpath(path, ROOT)
        data = load_yaml(path, self.rel, {"schema_version", "sections"})
        self.version = data.get("schema_version")
        specs = data.get("sections")
        if not isinstance(specs, list) or not specs:
            raise SchemaError("%s: sections must be a non-empty list" % self.rel)
        self.sections = []
        for i, spec in enumerate(specs):
            sec = ConfigSection(spec, "%s: sections[%d]" % (self.rel, i))
            if any(sec.name == other.name for other in self.sections):
                raise SchemaError("%s: sections[%d]: duplicate section %r" % (self.rel, i, sec.name))
            self.sections.append(sec)


# ------------------------------------------------------------ rendering --


def c_number(v, c_kind=None):
    """v as a C constant for a c_kind key ("f64" makes it a double), or as
    people read it in a message (no trailing ".0")."""
    if c_kind == "f64":
        return repr(float(v))
    if c_kind in ("u16", "u64"):
        return "UINT64_C(%d)" % v
    return ("%d" % v) if float(v).is_integer() else repr(float(v))


def c_string(text):
    """A C string literal for text, and its length in bytes."""
    out = []
    for ch in text.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif 0x20 <= ch < 0x7F:
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    return '"%s"' % "".join(out)


def c_append(text):
    """A kq_buf_append call for a constant piece of JSON."""
    return "kq_buf_append(out, %s, %d);" % (c_string(text), len(text.encode("utf-8")))


def c_comment(text):
    return text.replace("*/", "* /")


def uses_level(fields, variants=()):
    """Whether a generated encoder passes on or checks its `level`: it
    writes an extension field, a named type or a list of one, or (an enum)
    a struct variant."""
    def named(t):
        t = t.arg if t.kind == "option" else t
        return t.kind == "ref" or (t.kind == "list" and t.arg.kind == "ref")
    return any(f.extension or named(f.type) for f in fields) or \
        any(v.form == "struct" for v in variants)


def toml_comment(text, prefix=""):
    """text as TOML comment lines of at most 79 columns, the first
    starting with prefix."""
    lines = textwrap.wrap(prefix + text, 77, break_long_words=False, break_on_hyphens=False)
    return "".join("# %s\n" % line for line in lines)


def make_env():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["c_string"] = c_string
    env.filters["c_append"] = c_append
    env.filters["c_comment"] = c_comment
    env.filters["toml_comment"] = toml_comment
    env.filters["py_string"] = lambda s: repr(s)
    env.globals["uses_level"] = uses_level
    return env


PROTOCOL_OUTPUTS = [
    ("c_header.h.j2", "c/kq_protocol.h"),
    ("c_source.c.j2", "c/kq_protocol.c"),
    ("python.py.j2", "python/kueue_protocol.py"),
]
CONFIG_OUTPUTS = [
    ("c_config.h.j2", "c/kq_config_gen.h"),
    ("c_config.c.j2", "c/kq_config_gen.c"),
]
GENERATOR = os.path.relpath(os.path.abspath(__file__), ROOT)


def render(schema, config=None):
    """All generated files as {relative path: text}."""
    env = make_env()
    files = {}
    for template, out in PROTOCOL_OUTPUTS:
        files[out] = env.get_template(template).render(
            schema=schema, types=schema.order, limits=schema.limits,
            source=schema.rel, generator=GENERATOR)
    if config is not None:
        for template, out in CONFIG_OUTPUTS:
            files[out] = env.get_template(template).render(
                config=config, sections=config.sections, source=config.rel,
                generator=GENERATOR)
    return files


def write(files, out_dir):
    for rel, text in sorted(files.items()):
        path = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)


def check(files, out_dir):
    """Regenerates into a temporary folder and compares with out_dir."""
    differences = 0
    with tempfile.TemporaryDirectory(prefix="kqgen-") as tmp:
        write(files, tmp)
        for rel in sorted(files):
            fresh = os.path.join(tmp, rel)
            committed = os.path.join(out_dir, rel)
            with open(fresh, encoding="utf-8") as fh:
                new = fh.read().splitlines(keepends=True)
            try:
                with open(committed, encoding="utf-8") as fh:
                    old = fh.read().splitlines(keepends=True)
            except FileNotFoundError:
                print("kqgen: %s is missing" % committed)
                differences += 1
                continue
            if new != old:
                differences += 1
                diff = difflib.unified_diff(old, new, committed, "regenerated " + rel)
                sys.stdout.writelines(list(diff)[:60])
    if differences:
        print("kqgen: %d generated file(s) differ from the schema: run the "
              "`regen` target and commit generated/" % differences)
        return 1
    print("kqgen: generated/ matches %d file(s) regenerated from the schema" % len(files))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schema", default=os.path.join(ROOT, "schema", "protocol.yaml"))
    ap.add_argument("--config-schema", default=os.path.join(ROOT, "schema", "config.yaml"))
    ap.add_argument("--out", default=os.path.join(ROOT, "generated"))
    ap.add_argument("--check", metavar="DIR", help="compare DIR with a fresh generation")
    args = ap.parse_args(argv)
    try:
        schema = Schema(args.schema)
        config = ConfigSchema(args.config_schema)
    except SchemaError as exc:
        print("kqgen: error: %s" % exc, file=sys.stderr)
        return 1
    files = render(schema, config)
    if args.check:
        return check(files, args.check)
    write(files, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
