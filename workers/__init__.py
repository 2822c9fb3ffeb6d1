"""Work that follows a committed change or the clock, outside a customer's turn: outbox
consumers (telling a customer their order moved) and periodic jobs (reminding a waiting
customer). Each module one job; run in-process by ``shopbot serve`` or alone by ``shopbot
worker``; chat platforms are reached only through the ``Notifier`` a job is given."""
