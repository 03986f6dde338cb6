"""The generator's schema checks and its determinism.

Each broken schema must be refused with a message naming the place; a good
schema must render identically twice; --check must notice a changed file.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "codegen"))
import kqgen  # noqa: E402

GOOD = """
schema_version: 1
limits: {string: 100, list: 10, name: 5}
extensions:
  1: {release: 0.20.0, doc: First.}
  2: {release: 0.21.0, doc: Second.}
types:
  Pair:
    kind: struct
    c_name: pair
    doc: Two numbers.
    fields:
      - {name: a, type: u64, doc: First.}
      - {name: b, type: "option<string>", max_len: name, doc: Second.}
      - {name: c, type: "option<u64>", extension: 1, doc: Third.}
      - {name: d, type: "option<bool>", extension: 2, doc: Fourth.}
  Holder:
    kind: struct
    c_name: holder
    doc: Optional groups.
    fields:
      - {name: n, type: u64, doc: Always there.}
      - {name: p, type: "option<Pair>", boxed: true, extension: 1, doc: A boxed struct.}
      - {name: q, type: "option<list<Pair>>", extension: 1, doc: An optional list.}
      - {name: s, type: "option<set<u64>>", extension: 1, doc: An optional set.}
  State:
    kind: enum
    c_name: state
    closed: true
    doc: Inside a struct.
    variants:
      - {name: Up, doc: Unit.}
  Msg:
    kind: enum
    c_name: msg
    doc: A message.
    variants:
      - {name: Ping, doc: Unit.}
      - {name: Wrap, type: Pair, doc: Newtype.}
      - name: Many
        doc: Struct.
        fields:
          - {name: pairs, type: "list<Pair>", doc: Some pairs.}
          - {name: state, type: State, doc: A state.}
      - name: Ack
        extension: 1
        doc: Added.
        fields:
          - {name: id, type: u64, doc: Required in its own variant.}
          - {name: why, type: "option<string>", extension: 2, doc: Added later.}
"""


def load_error(loader, text):
    """The message of the SchemaError loader raises on text, without the
    file name; None if it loads."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(textwrap.dedent(text))
    try:
        loader(fh.name)
    except kqgen.SchemaError as exc:
        return str(exc).split(": ", 1)[1]
    finally:
        os.unlink(fh.name)
    return None


def schema_error(text):
    return load_error(kqgen.Schema, text)


class SchemaChecks(unittest.TestCase):
    def test_good_schema_renders_deterministically(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            fh.write(GOOD)
        try:
            a = kqgen.render(kqgen.Schema(fh.name))
            b = kqgen.render(kqgen.Schema(fh.name))
        finally:
            os.unlink(fh.name)
        self.assertEqual(a, b)
        self.assertIn("typedef struct kq_pair_list", a["c/kq_protocol.h"])
        self.assertIn("do not edit", a["python/kueue_protocol.py"].split("\n")[2])
        header, source, py = a["c/kq_protocol.h"], a["c/kq_protocol.c"], a["python/kueue_protocol.py"]
        self.assertIn("#define KQ_PROTOCOL_EXTENSION_LEVEL 2", header)
        self.assertIn("unsigned kq_msg_tag_level(kq_msg_tag tag);", header)
        self.assertIn("int kq_msg_encode_at(const kq_msg *v, unsigned level, kq_buf *out);", header)
        # Extension fields are left out when unset or unknown to the peer.
        self.assertIn("if (level >= 1 && v->has_c) {", source)
        self.assertIn("if (level >= 2 && v->why.ptr) {", source)
        # An extension variant is refused for a peer below its level.
        self.assertIn("if (kq_msg_tag_level(v->tag) > level)\n        return -EPROTO;", source)
        self.assertIn("        1, /* Ack */", source)
        self.assertIn('"0.21.0", /* 2: Second. */', source)
        self.assertIn('("c", ("opt", ("u64",)), 1),', py)
        self.assertIn("_kq_extension: ClassVar[int] = 1", py)
        self.assertIn("EXTENSIONS = {\n    1: '0.20.0',\n    2: '0.21.0',\n}", py)
        # A boxed option is a pointer in C, NULL when absent; nothing changes in Python.
        self.assertIn("struct kq_pair *p;", header)
        self.assertNotIn("has_p;", header)
        self.assertIn("if (level >= 1 && v->p) {", source)
        self.assertIn("enc_pair(out, &(*v->p), level);", source)
        self.assertIn("if (!(out->p = calloc(1, sizeof *out->p))) {", source)
        self.assertIn("bool has_q;\n    kq_pair_list q;", header)
        self.assertIn("bool has_s;\n    kq_u64_set s;", header)
        self.assertIn('("p", ("opt", ("ref", "Pair")), 1),', py)

    def check(self, old, new, message):
        text = GOOD.replace(old, new, 1)
        self.assertNotEqual(text, GOOD, old)
        self.assertEqual(schema_error(text), message)

    def test_errors_name_the_place(self):
        self.check("type: u64", "type: u46",
                   "types.Pair.fields[0] (a): unknown type 'u46'")
        self.check("type: Pair,", "type: Pear,",
                   "types.Msg.variants[1] (Wrap): reference to undefined type 'Pear'")
        self.check("{name: b,", "{name: a,",
                   "types.Pair.fields[1] (a): duplicate field 'a'")
        self.check("{name: Wrap,", "{name: Ping,",
                   "types.Msg.variants[1]: duplicate variant 'Ping'")
        self.check("max_len: name", "max_len: nmae",
                   "types.Pair.fields[1] (b): unknown limit 'nmae' (limits: list, name, string)")
        self.check("{name: a, type: u64, doc: First.}", "{name: a, type: u64}",
                   "types.Pair.fields[0]: missing 'doc'")
        self.check("{name: a, type: u64,", "{name: a, type: u64, max_len: 3,",
                   "types.Pair.fields[0] (a): max_len only applies to strings, lists, maps and sets")
        self.check("c_name: msg", "c_name: pair",
                   "types.Msg: c_name 'pair' already used by Pair")
        self.check("{name: a, type: u64,", "{name: a, type: Pair,",
                   "types.Pair: recursive type Pair -> Pair")
        self.check('type: "option<string>"', 'type: "option<option<string>>"',
                   "types.Pair.fields[1] (b): option<option<string>> is not supported "
                   "(an option of anything but an option)")
        self.check('type: "option<Pair>", boxed: true', 'type: Pair, boxed: true',
                   "types.Holder.fields[1] (p): boxed only applies to option<T> of a named struct type")
        self.check('type: "option<Pair>", boxed: true', 'type: "option<State>", boxed: true',
                   "types.Holder.fields[1] (p): boxed only applies to option<T> of a named struct "
                   "type, and State is an enum")
        self.check("boxed: true", "boxed: yes please",
                   "types.Holder.fields[1] (p): boxed must be true or false")
        self.check("kind: struct", "kind: union",
                   "types.Pair: kind must be struct or enum, got 'union'")
        self.check("doc: Unit.}", "doc: Unit., colour: red}",
                   "types.State.variants[0]: unknown attribute colour")

    def test_extension_rules(self):
        self.assertIsNone(schema_error(GOOD))
        # The rule every later change relies on: an extension field is optional.
        self.check('{name: c, type: "option<u64>"', "{name: c, type: u64",
                   "types.Pair.fields[2] (c): an extension field must be optional (option<...>): "
                   "peers of an earlier level neither send nor expect it, and it is left out when unset")
        self.check("extension: 1, doc: Third.", "extension: 3, doc: Third.",
                   "types.Pair.fields[2] (c): extension 3 is not a level of the extensions table (1, 2)")
        self.check("{name: a, type: u64, doc: First.}",
                   '{name: a, type: "option<u64>", extension: 1, doc: First.}',
                   "types.Pair.fields[0] (a): the first field cannot be an extension field")
        self.check("extension: 2, doc: Fourth.", "extension: 1, doc: Fourth.}\n"
                   '      - {name: e, type: u64, doc: Late.',
                   "types.Pair.fields[4] (e): extension fields come last, in ascending level "
                   "(after d, of level 1)")
        self.check("extension: 2, doc: Added later.", "extension: 1, doc: Added later.",
                   "types.Msg.variants[3] (Ack).fields[1] (why): extension 1 is redundant: "
                   "its variant is of extension 1 already")
        self.check("{name: Up, doc: Unit.}", "{name: Up, doc: Unit.}\n"
                   "      - {name: Down, extension: 1, doc: New.}",
                   "types.State.variants[1] (Down): State is closed: no variant may be added to it, "
                   "not even as an extension")
        self.check("{name: Up, doc: Unit.}", "{name: Up, extension: 1, doc: Unit.}",
                   "types.State.variants[0] (Up): State is closed: no variant may be added to it, "
                   "not even as an extension")
        self.check("{name: Ping, doc: Unit.}", "{name: Ping, extension: 1, doc: Unit.}",
                   "types.Msg.variants[1] (Wrap): extension variants come last, in ascending level "
                   "(after Ping, of level 1)")
        self.check("  1: {release: 0.20.0, doc: First.}\n", "",
                   "extension levels must be the integers 1, 2, ... without gaps, got 2")
        self.check("release: 0.20.0,", "release: twenty,",
                   "extensions.1: release 'twenty' is not a version like 0.20.0")

    def test_extension_variants_only_in_messages(self):
        text = GOOD.replace("    closed: true\n", "").replace(
            "{name: Up, doc: Unit.}", "{name: Up, doc: Unit.}\n      - {name: Down, extension: 1, doc: New.}")
        self.assertEqual(schema_error(text),
                         "types.Msg.variants[2] (Many).fields[1] (state): State has extension variants, "
                         "so it can only be a message (no other type may contain it): a sender checks "
                         "the variant of the message it sends, not of the values inside")

    def test_cli_reports_errors(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            fh.write(GOOD.replace("type: u64", "type: u46"))
        try:
            run = subprocess.run([sys.executable, os.path.join(ROOT, "codegen", "kqgen.py"),
                                  "--schema", fh.name, "--out", "/nonexistent"],
                                 capture_output=True, text=True)
        finally:
            os.unlink(fh.name)
        self.assertEqual(run.returncode, 1)
        self.assertIn("unknown type 'u46'", run.stderr)


CONFIG = """
schema_version: 1
sections:
  - name: s
    doc: A section.
    keys:
      - {name: n, type: u64, default: 5, min: 1, max: 10, doc: A count.}
      - {name: f, type: f64, default: 1.5, above: 0, max: 60, doc: A time.}
"""


def config_error(text):
    return load_error(kqgen.ConfigSchema, text)


class ConfigBounds(unittest.TestCase):
    def check(self, old, new, message):
        text = CONFIG.replace(old, new, 1)
        self.assertNotEqual(text, CONFIG, old)
        self.assertEqual(config_error(text), message)

    def test_bounds_are_checked(self):
        self.assertIsNone(config_error(CONFIG))
        self.check("default: 5,", "default: 11,",
                   "sections[0] (s).keys[0] (n): default 11 is not an integer from 1 to 10")
        self.check("default: 1.5,", "default: 0,",
                   "sections[0] (s).keys[1] (f): default 0 is not a number greater than 0 and at most 60")
        self.check("min: 1, max: 10", "min: 10, max: 1",
                   "sections[0] (s).keys[0] (n): bounds must satisfy 0 <= min <= max <= 9223372036854775807")
        self.check("min: 1,", "above: 0,",
                   "sections[0] (s).keys[0] (n): above only applies to f64 keys")
        self.check("above: 0,", "min: 0, above: 0,",
                   "sections[0] (s).keys[1] (f): give min or above, not both")
        self.check("max: 10,", "max: 2.5,",
                   "sections[0] (s).keys[0] (n): max must be an integer")
        self.check("above: 0, max: 60", "above: 60, max: 60",
                   "sections[0] (s).keys[1] (f): the lower bound must be below max")
        self.check("default: 5,", "default: 5, template: 11,",
                   "sections[0] (s).keys[0] (n): template 11 is not an integer from 1 to 10")
        self.check("default: 5,", "template: 2,",
                   "sections[0] (s).keys[0] (n): template applies to a number or bool key "
                   "with a default")
        self.check("    doc: A section.\n", "    doc: A section.\n    example: x = 1\n",
                   "sections[0] (s): an example is some key lines, for an optional section")

    def test_generated_check_names_key_and_range(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            fh.write(CONFIG)
        try:
            config = kqgen.ConfigSchema(fh.name)
        finally:
            os.unlink(fh.name)
        source = kqgen.make_env().get_template("c_config.c.j2").render(
            config=config, sections=config.sections, source="x", generator="y")
        self.assertIn('rc = kq_cfgval_u64(e, file, "s.n", UINT64_C(1), UINT64_C(10), '
                      '&c->s.n, err);', source)
        self.assertIn('rc = kq_cfgval_f64(e, file, "s.f", 0.0, true, 60.0, &c->s.f, err);',
                      source)

    def test_template_values_and_examples(self):
        text = CONFIG.replace("default: 5,", "default: 5, template: 2,").replace(
            "    doc: A section.\n", "    doc: A section.\n    optional: true\n"
            "    example: |\n      n = 3\n      f = 2.5\n")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            fh.write(text)
        try:
            config = kqgen.ConfigSchema(fh.name)
        finally:
            os.unlink(fh.name)
        source = kqgen.make_env().get_template("c_config.c.j2").render(
            config=config, sections=config.sections, source="x", generator="y")
        self.assertIn("void kq_config_use_template(kq_config *c)\n{\n    c->s.n = 2;\n}",
                      source)
        self.assertIn('    } else {\n        kq_buf_puts(out, "# A section.\\n# [s]\\n");\n'
                      '        kq_buf_puts(out, "# n = 3\\n");\n'
                      '        kq_buf_puts(out, "# f = 2.5\\n");\n    }\n', source)


class Check(unittest.TestCase):
    def test_check_notices_a_change(self):
        tmp = tempfile.mkdtemp()
        try:
            shutil.copytree(os.path.join(ROOT, "generated"), os.path.join(tmp, "g"))
            gen = [sys.executable, os.path.join(ROOT, "codegen", "kqgen.py"), "--check", os.path.join(tmp, "g")]
            self.assertEqual(subprocess.run(gen, capture_output=True).returncode, 0)
            with open(os.path.join(tmp, "g", "c", "kq_protocol.h"), "a") as fh:
                fh.write("/* edited by hand */\n")
            run = subprocess.run(gen, capture_output=True, text=True)
            self.assertEqual(run.returncode, 1)
            self.assertIn("edited by hand", run.stdout)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main(verbosity=1)
