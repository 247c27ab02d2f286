"""click in the language in use: evalrun's help looked up when shown, click's own words from a catalog.

click makes help strings when the commands are defined, before the command
line is read, so evalrun's commands and options are given ``lazy`` help
(engine.i18n.lazy) and these classes keep it lazy until it is printed. click's
own words (``Usage:``, ``Options``, ``No such option``) go through gettext's
``gettext``/``ngettext``, bound in click's modules when they are imported; they
are bound here to look in evalrun's ``click`` domain
(engine/i18n/locale/zh_CN/LC_MESSAGES/click.po, whose ids are click's English
texts, as any gettext domain for click would be).

``--lang`` is taken off the command line before click parses it, wherever it
is (``evalrun --lang en validate`` or ``evalrun validate --lang en``), so that
usage errors and help are already in the language asked for; every command
also lists it, so that help shows it.
"""
from __future__ import annotations

import inspect
import sys

import click
from click import core as _core, decorators as _decorators, exceptions as _exceptions, formatting as _formatting
from click import parser as _parser, termui as _termui, types as _types

from click._compat import strip_ansi as _strip_ansi

from engine import i18n
from engine.i18n.width import display_width


def _gettext(message: str) -> str:
    if i18n.language() == "en":
        return message
    return i18n.catalog(i18n.language(), "click").messages.get(message) or message


def _ngettext(singular: str, plural: str, count: int) -> str:
    if i18n.language() == "en":
        return singular if count == 1 else plural
    table = i18n.catalog(i18n.language(), "click")
    forms = table.messages.get(singular)
    if isinstance(forms, tuple) and forms:
        return forms[min(table.plural_index(count), len(forms) - 1)] or (singular if count == 1 else plural)
    return singular if count == 1 else plural


for _module in (_core, _decorators, _exceptions, _formatting, _parser, _termui, _types):
    if hasattr(_module, "_"):
        _module._ = _gettext
    if hasattr(_module, "ngettext"):
        _module.ngettext = _ngettext

# click lines up the option table by len(); a Chinese metavar (文件夹) takes two columns a character
_formatting.term_len = lambda text: display_width(_strip_ansi(text))


def _text(value) -> str:
    return "" if value is None else str(value)


def _keep_lines(text: str) -> str:
    """Paragraphs with indented lines (examples, the exit codes) marked for click to print as written."""
    return "\n\n".join("\b\n" + p if any(line.startswith(" ") for line in p.splitlines()) else p
                       for p in text.split("\n\n"))


def take_lang(args: list[str]) -> tuple[list[str], str | None]:
    """(the arguments without ``--lang X``/``--lang=X``, X or None); a `--` ends the options, as in click."""
    rest, chosen = [], None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg == "--lang" and index + 1 < len(args):
            chosen = args[index + 1]
            index += 2
            continue
        if arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
            index += 1
            continue
        rest.append(arg)
        index += 1
    return rest, chosen


def _lang_option() -> click.Option:
    return Option(["--lang"], metavar="LANG", expose_value=False, default=None,
                  help=i18n.lazy("cli.option.lang"))


class Option(click.Option):
    """An option whose help (a lazy message) is looked up when the help is printed."""

    def __init__(self, *args, help=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = help

    def get_help_record(self, ctx):
        record = super().get_help_record(ctx)
        return None if record is None else (record[0], _text(record[1]))


class _ClickWord:
    """One of click's words (``file``, ``directory``) looked up when shown, for types made at import time."""

    def __init__(self, english: str):
        self.english = english

    def __str__(self) -> str:
        return _gettext(self.english)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __getattr__(self, name):  # upper, title, ...: str's methods on the word
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(str(self), name)


class PathType(click.Path):
    """click.Path whose name (in usage errors and as a metavar) is in the language in use, not the import's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = _ClickWord("file" if self.file_okay and not self.dir_okay else
                               "directory" if self.dir_okay and not self.file_okay else "path")


def command(name=None, **attrs):
    """``click.command`` making a Command of this module (help looked up when shown, --lang accepted)."""
    attrs.setdefault("cls", Command)
    return click.command(name, **attrs)


def option(*decls, **attrs):
    """``click.option`` whose help (give ``help=lazy(...)``) is looked up when shown."""
    attrs.setdefault("cls", Option)
    return click.option(*decls, **attrs)


def version_option(**attrs):
    """``click.version_option`` with its help and its line in the language in use."""
    return click.version_option(cls=Option, help=i18n.lazy("cli.option.version"),
                                message=i18n.lazy("cli.version"), **attrs)


class Command(click.Command):
    """A command whose help, epilog and section titles are in the language in use, with a --lang option."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not any(p.name == "lang" for p in self.params):
            self.params.append(_lang_option())

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:  # made once and kept by click: its words set again for the language in use
            option.help = i18n.tr("cli.option.help")
        return option

    def get_short_help_str(self, limit: int = 45) -> str:
        text = _text(self.short_help) or _text(self.help)  # its first line: a sentence, in either language
        return inspect.cleandoc(text).partition("\n")[0].strip() if text else ""

    def format_help_text(self, ctx, formatter):
        text = inspect.cleandoc(_keep_lines(_text(self.help))).partition("\f")[0] if self.help else ""
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_epilog(self, ctx, formatter):
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(_keep_lines(_text(self.epilog))))


class Group(Command, click.Group):
    """The top command: takes --lang off the command line and chooses the language before click parses it."""

    command_class = Command
    group_class = type  # subgroups are Groups too

    def main(self, args=None, prog_name=None, **kwargs):
        args = list(sys.argv[1:] if args is None else args)
        args, asked = take_lang(args)
        language, note = i18n.choose(asked)
        i18n.use(language)
        if note:
            click.echo(note, err=True)
        return super().main(args=args, prog_name=prog_name, **kwargs)
