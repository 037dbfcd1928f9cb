"""The api app's views, one module per resource: the machine API's operations (``caller``,
``docs``, ``errors``, …) and the pages where a Supplier's administrators manage its API clients
(``clients``)."""
