"""The parts an owner starts or reads besides Heat itself.

``database.py`` (PostgreSQL, and the per-stack flag reader),
``sqlite.py``, ``keystone.py`` (the embedded keystone's layout and
server), ``rabbitmq.py`` (the devstack-like deployment's broker) and
``source.py`` (a Heat checkout as the cells' Heat).
"""
