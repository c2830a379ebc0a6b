"""What an operator does to a cloud, as commands the external target runs.

Against a real cloud, switching ``convergence_engine`` means editing
heat.conf and restarting heat-engine, and converting a stack means
``heat-manage migrate_convergence_1``; the external target runs whatever
commands it is given for that (``--toggle-command``,
``--migrate-command``). For the deployments the harness starts, these
modules are those commands:

- ``command.py``: the one command line both share (``DESCRIPTION engine
  CLOUD true|false``, ``DESCRIPTION migrate CLOUD STACK_ID``) and the
  command templates an external target is given;
- ``embedded.py``: for embedded cells, through the cells' harness routes;
- ``cloud.py``: for the devstack-like deployment, through its owner's
  control server and heat-manage.
"""
