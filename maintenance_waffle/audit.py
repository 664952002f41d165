"""The audit trail: who changed the maintenance state, when, through what, and why.

Every save of our waffle switch and flags, and of maintenance windows, is recorded once
its transaction commits, whatever made it: our command, API, dashboard and URLs name
themselves with ``changing()``; waffle's admin and commands are recognised; anything else
is "other". Windows starting and ending by themselves are recorded by the first process
that notices. ``maintenance_mode_changed`` is sent for every record.
"""

from __future__ import annotations

import contextvars
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import translation
from waffle import get_waffle_flag_model, get_waffle_switch_model

from maintenance_waffle import describe, store
from maintenance_waffle.conf import get_config
from maintenance_waffle.models import Channel, MaintenanceChange, MaintenanceWindow

#: Sent after each recorded change, with ``change`` (a MaintenanceChange). Connect a
#: receiver to notify a chat room or a pager.
maintenance_mode_changed = Signal()


@dataclass(frozen=True)
class Context:
    channel: str
    user: Any = None
    reason: str | None = None


_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "maintenance_waffle_change", default=None
)


@contextmanager
def changing(channel: str, user: Any = None, reason: str | None = None) -> Iterator[None]:
    """Attribute the changes saved inside the block: the outermost caller's channel and
    user win; the reason is the outermost one given."""
    outer = _context.get()
    if outer is not None:
        if outer.reason is not None or reason is None:
            yield
            return
        channel, user = outer.channel, outer.user
    token = _context.set(Context(channel=channel, user=user, reason=reason))
    try:
        yield
    finally:
        _context.reset(token)


def _current() -> Context:
    context = _context.get()
    if context is not None:
        return context
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in ("waffle_switch", "waffle_flag", "waffle_delete"):
        return Context(channel=Channel.WAFFLE_COMMAND, user=None)
    return Context(channel=Channel.OTHER)


def _actor(user: Any) -> str:
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.get_username())
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


def record(subject: str, old: str, new: str, context: Context, using: str | None = None) -> None:
    """Write one change once the current transaction commits."""
    user = context.user if getattr(context.user, "is_authenticated", False) else None

    def write() -> None:
        change = MaintenanceChange.objects.using(using).create(
            user=user,
            actor=_actor(context.user),
            channel=context.channel,
            subject=subject[:200],
            old=old[:500],
            new=new[:500],
            reason=context.reason or "",
        )
        maintenance_mode_changed.send(sender=MaintenanceChange, change=change)

    transaction.on_commit(write, using=using)


# Descriptions ------------------------------------------------------------------------


def _describe(instance: Any) -> str:
    # In the site's language, whoever's request made the change.
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(instance, get_waffle_switch_model()):
            return "on" if instance.active else "off"
        if isinstance(instance, MaintenanceWindow):
            return describe.window(instance.start, instance.end)
        return describe.flag(store.rule_of(instance))


# Receivers ---------------------------------------------------------------------------

_OLD = "_maintenance_waffle_old"
_CLEARED = "_maintenance_waffle_cleared"


def _ours(instance: Any) -> bool:
    config = get_config()
    if isinstance(instance, get_waffle_switch_model()):
        return bool(instance.name == config.switch_name)
    return instance.name in config.flag_names


def _subject(instance: Any) -> str:
    kind = "switch" if isinstance(instance, get_waffle_switch_model()) else "flag"
    return f"{kind} {instance.name}"


def _before_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _ours(instance):
        return
    using = kwargs.get("using")
    old = (
        sender._default_manager.using(using).filter(pk=instance.pk).first() if instance.pk else None
    )
    setattr(instance, _OLD, _describe(old) if old is not None else "missing")


def _after_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not hasattr(instance, _OLD):
        return
    old = getattr(instance, _OLD)
    delattr(instance, _OLD)
    new = _describe(instance)
    if old != new:
        context = _current()
        record(_subject(instance), old, new, context, kwargs.get("using"))


def _after_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _ours(instance):
        record(_subject(instance), _describe(instance), "missing", _current(), kwargs.get("using"))


def _members_changed(
    sender: Any, instance: Any, action: str, pk_set: Any, model: Any, **kwargs: Any
) -> None:
    flag_model = get_waffle_flag_model()
    kind = "groups" if sender is _through(flag_model, "groups") else "users"
    if not isinstance(instance, flag_model) and action == "pre_clear":
        # Django sends no pk_set with a clear: note the flags before they lose this member.
        flags = flag_model._default_manager.using(kwargs.get("using")).filter(**{kind: instance})
        setattr(instance, _CLEARED, set(flags.values_list("pk", flat=True)))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_add" and not pk_set:
        return  # every one of them was there already
    if not isinstance(instance, flag_model):
        # A change from the user's or group's side: one record per affected flag.
        if action == "post_clear":
            pk_set = instance.__dict__.pop(_CLEARED, set())
            action = "post_remove"
        flags = flag_model._default_manager.using(kwargs.get("using")).filter(pk__in=pk_set or ())
        for flag in flags:
            _members_changed(sender, flag, action, {instance.pk}, type(instance), **kwargs)
        return
    if not _ours(instance):
        return
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    names = ", ".join(
        sorted(
            str(obj)
            for obj in model._default_manager.using(kwargs.get("using")).filter(pk__in=pk_set or ())
        )
    )
    record(
        f"flag {instance.name} {kind}",
        "",
        f"{verb}: {names}".rstrip(": "),
        _current(),
        kwargs.get("using"),
    )


def _window_saved(
    sender: Any, instance: MaintenanceWindow, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    context = _current()
    if context.reason is None:
        context = Context(context.channel, context.user, instance.reason)
    old = "" if created else getattr(instance, _OLD, "")
    new = _describe(instance)
    if created or old != new:
        record(f"window #{instance.pk}", old, new, context, kwargs.get("using"))


def _window_before_save(
    sender: Any, instance: MaintenanceWindow, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and instance.pk:
        old = MaintenanceWindow.objects.using(kwargs.get("using")).filter(pk=instance.pk).first()
        setattr(instance, _OLD, _describe(old) if old is not None else "")


def _window_deleted(sender: Any, instance: MaintenanceWindow, **kwargs: Any) -> None:
    record(
        f"window #{instance.pk}",
        _describe(instance),
        "removed",
        _current(),
        kwargs.get("using"),
    )


def _through(model: Any, name: str) -> Any:
    return model._meta.get_field(name).remote_field.through


def connect() -> None:
    flag_model = get_waffle_flag_model()
    for sender in (get_waffle_switch_model(), flag_model):
        uid = f"maintenance_waffle.audit.{sender._meta.label}"
        pre_save.connect(_before_save, sender=sender, dispatch_uid=uid)
        post_save.connect(_after_save, sender=sender, dispatch_uid=uid)
        post_delete.connect(_after_delete, sender=sender, dispatch_uid=uid)
    for through in (_through(flag_model, "users"), _through(flag_model, "groups")):
        m2m_changed.connect(
            _members_changed, sender=through, dispatch_uid=f"maintenance_waffle.audit.{through}"
        )
    pre_save.connect(_window_before_save, sender=MaintenanceWindow, dispatch_uid="mw.audit.w")
    post_save.connect(_window_saved, sender=MaintenanceWindow, dispatch_uid="mw.audit.w")
    post_delete.connect(_window_deleted, sender=MaintenanceWindow, dispatch_uid="mw.audit.w")


# Windows starting and ending by themselves ---------------------------------------------


def record_transitions(now: datetime) -> None:
    """Record windows that have started or ended by ``now`` (aware) since anyone last
    looked, exactly once: the process that claims a transition writes its record."""
    for window, old, new in store.claim_transitions(now):
        record(
            f"window #{window.pk}",
            old,
            new,
            Context(Channel.SCHEDULE, reason=window.reason),
            store.write_alias(),
        )
