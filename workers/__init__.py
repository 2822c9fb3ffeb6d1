"""Background consumers of the outbox (storage/outbox.py): work that follows a committed change,
such as telling a customer that their order moved. A layer beside ``agents``: it uses tools and
storage, and reaches the chat platforms only through the ``Notifier`` it is given."""
