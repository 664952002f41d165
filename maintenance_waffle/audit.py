"""The audit trail: who changed the maintenance state, when, through what, and why.

Every save of our waffle switch and flags, and of maintenance windows, is recorded once
its transaction commits, whatever made it: our command, API, dashboard and URLs name
themselves with ``changing()``; waffle's admin and commands are recognised; anything else
is "other". Windows starting and ending by themselves are recorded by the first process
that notices. ``maintenance_mode_changed`` is sent for every record.

A flag is recorded as whom it targets, its groups and users included, before and after
each transaction that changed it: one record however many saves and many-to-many
changes the transaction made (waffle's admin saves the flag, then its users and groups),
none when whom it targets did not change (a note, or groups while Everyone is "No").
waffle's ``waffle_flag`` command works outside a transaction: each of its steps (clearing
the groups, adding some, saving the flag) that changes whom it targets is a record.
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
from django.db import connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
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
        return describe.window(instance.start, instance.end)


def _describe_flag(pk: Any, using: str) -> str:
    """Whom the stored flag with primary key ``pk`` targets, its groups and users named."""
    flag = (
        get_waffle_flag_model()
        ._default_manager.using(using)
        .filter(pk=pk)
        .prefetch_related("groups", "users")
        .first()
        if pk is not None
        else None
    )
    with translation.override(settings.LANGUAGE_CODE):
        return flag_description(flag)


def flag_description(flag: Any) -> str:
    """Whom ``flag`` (a waffle Flag with its users and groups prefetched, or None for a
    missing one) targets, in describe.flag's words."""
    if flag is None:
        return describe.flag(None)
    return describe.flag(
        store.rule_of(flag),
        groups=[group.name for group in flag.groups.all()],
        users=[user.get_username() for user in flag.users.all()],
    )


# Receivers ---------------------------------------------------------------------------

_OLD = "_maintenance_waffle_old"


def _ours(instance: Any) -> bool:
    config = get_config()
    if isinstance(instance, get_waffle_switch_model()):
        return instance.name in config.switch_names
    return instance.name in config.flag_names


def _subject(instance: Any) -> str:
    kind = "switch" if isinstance(instance, get_waffle_switch_model()) else "flag"
    return f"{kind} {instance.name}"


def _before_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _ours(instance):
        return
    using = kwargs["using"]
    if isinstance(instance, get_waffle_flag_model()):
        setattr(instance, _OLD, _describe_flag(instance.pk, using))
        return
    old = (
        sender._default_manager.using(using).filter(pk=instance.pk).first() if instance.pk else None
    )
    setattr(instance, _OLD, _describe(old) if old is not None else "missing")


def _after_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not hasattr(instance, _OLD):
        return
    old = instance.__dict__.pop(_OLD)
    using = kwargs["using"]
    if isinstance(instance, get_waffle_flag_model()):
        _flag_after(instance.pk, instance.name, using, old)
        return
    new = _describe(instance)
    if old != new:
        context = _current()
        record(_subject(instance), old, new, context, using)


def _before_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Flags only: their users and groups are gone by post_delete.
    if _ours(instance):
        setattr(instance, _OLD, _describe_flag(instance.pk, kwargs["using"]))


def _after_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not _ours(instance):
        return
    using = kwargs["using"]
    if isinstance(instance, get_waffle_flag_model()):
        _flag_after(instance.pk, instance.name, using, instance.__dict__.pop(_OLD))
        return
    record(_subject(instance), _describe(instance), "missing", _current(), using)


def _members_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    """A flag's users or groups changed, from the flag's side or the user's or group's."""
    using = kwargs["using"]
    flag_model = get_waffle_flag_model()
    if action.startswith("pre_"):
        if action == "pre_add" and not pk_set:
            return  # every one of them was there already
        if isinstance(instance, flag_model):
            flags = {instance.pk: instance.name} if _ours(instance) else {}
        else:
            # From the user's or group's side: the flags are pk_set, or for a clear
            # (Django sends no pk_set then) those the instance is about to leave.
            linked = flag_model._default_manager.using(using).filter(
                name__in=get_config().flag_names
            )
            if action == "pre_clear":
                field = "groups" if sender is _through(flag_model, "groups") else "users"
                linked = linked.filter(**{field: instance})
            else:
                linked = linked.filter(pk__in=pk_set)
            flags = dict(linked.values_list("pk", "name"))
        setattr(
            instance, _OLD, {pk: (name, _describe_flag(pk, using)) for pk, name in flags.items()}
        )
        return
    for pk, (name, old) in instance.__dict__.pop(_OLD, {}).items():
        _flag_after(pk, name, using, old)


# A flag's record ------------------------------------------------------------------------
#
# Each change of a flag notes whom the flag targeted just before it and asks to be
# recorded when its transaction commits. The changes one commit makes are one batch:
# the first of them to run its on-commit callback writes the record, from the state
# before that change to the state the commit left; the others find the batch done.
# Changes rolled back (to a savepoint, too) have no callback to run, so they never
# count; outside a transaction (autocommit) each statement is its own commit.

_BATCHES = "_maintenance_waffle_audit_batches"


class _Batch:
    """The changes of one flag that are to be recorded together."""

    done = False


def _batch(pk: Any, using: str) -> _Batch:
    """The open batch of flag ``pk`` on ``using`` (per thread, as the connection is)."""
    connection = connections[using]
    batches: dict[Any, _Batch] | None = getattr(connection, _BATCHES, None)
    if batches is None:
        batches = {}
        setattr(connection, _BATCHES, batches)
    batch = batches.get(pk)
    if batch is None or batch.done:
        batch = batches[pk] = _Batch()
    return batch


def _flag_after(pk: Any, name: str, using: str, old: str) -> None:
    """After a change of flag ``pk`` (which targeted ``old`` before it): have the flag
    recorded when the change commits."""
    batch = _batch(pk, using)
    context = _current()

    def write() -> None:
        if batch.done:
            return
        batch.done = True
        new = _describe_flag(pk, using)
        if new != old:
            record(f"flag {name}", old, new, context, using)

    transaction.on_commit(write, using=using)


def window_subject(window: MaintenanceWindow) -> str:
    """ "window #3", or with its scope: "read-only window #4", "area:checkout window #5"."""
    return f"{window.scope} window #{window.pk}" if window.scope else f"window #{window.pk}"


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
        record(window_subject(instance), old, new, context, kwargs.get("using"))


def _window_before_save(
    sender: Any, instance: MaintenanceWindow, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and instance.pk:
        old = MaintenanceWindow.objects.using(kwargs.get("using")).filter(pk=instance.pk).first()
        setattr(instance, _OLD, _describe(old) if old is not None else "")


def _window_deleted(sender: Any, instance: MaintenanceWindow, **kwargs: Any) -> None:
    record(
        window_subject(instance),
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
    pre_delete.connect(_before_delete, sender=flag_model, dispatch_uid="mw.audit.flag")
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
            window_subject(window),
            old,
            new,
            Context(Channel.SCHEDULE, reason=window.reason),
            store.write_alias(),
        )
