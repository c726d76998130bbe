"""Replies understood: :mod:`classify` reads a reply (pure), :mod:`apply` stores it once and
writes what it means (opt-out, hold, collector task), :mod:`inbox` reads stored replies back."""

from __future__ import annotations

from cartera.replies.inbox import ReplyRecord, confirmations_due, mark_confirmation_sent, replies_for_customer

__all__ = ["ReplyRecord", "confirmations_due", "mark_confirmation_sent", "replies_for_customer"]
