"""The deployment interface: everything a suite may know about a target.

A deployment offers a set of *paths* (``legacy``, ``convergence``), each an
orchestration endpoint whose Heat creates new stacks with
``convergence_engine`` set as ``config.PATHS`` says. Suites reach Heat only
through this interface; whether the cells are embedded processes or a
real cloud stays behind it.

A deployment is shared between processes (pytest-xdist workers) through
its *description*: a JSON-able dict that its owner writes and every
process turns back into a handle with ``attach()``. Only the owner starts
and stops things; a handle only talks to them.
"""

import abc


class DeploymentError(RuntimeError):
    """A deployment cannot do what was asked; the message says why."""


class CellDied(DeploymentError):
    """A path's Heat stopped answering because its process is gone."""


class Deployment(abc.ABC):
    """A handle on a running deployment."""

    def __init__(self, description):
        self.description = description

    @property
    def kind(self):
        return self.description['kind']

    @property
    def paths(self):
        """The path names this deployment offers, in a stable order."""
        return list(self.description['paths'])

    @property
    def toggles(self):
        """The toggle cells: name -> the convergence_engine it started
        with. A suite may restart a toggle with the option flipped; no
        other suite uses it (see config.TOGGLES)."""
        return {name: info['convergence_engine'] for name, info
                in self.description.get('toggles', {}).items()}

    def toggle_starting_with(self, convergence_engine):
        """The name of the toggle cell that started with the option set
        as given, or None if the deployment has none."""
        for name, initial in sorted(self.toggles.items()):
            if initial == convergence_engine:
                return name
        return None

    def path_info(self, path):
        """What the description says of a path or a toggle cell."""
        known = dict(self.description.get('toggles', {}),
                     **self.description['paths'])
        try:
            return known[path]
        except KeyError:
            raise DeploymentError('this deployment has no path %r (it has %s)'
                                  % (path, ', '.join(sorted(known))))

    def endpoint(self, path):
        """The orchestration endpoint (``.../v1/<project>``) of a path."""
        return self.path_info(path)['endpoint']

    def log_file(self, path):
        """The log file of a path's Heat, or None where there is none."""
        return self.path_info(path).get('log_file')

    @abc.abstractmethod
    def client(self, path):
        """A ready python-heatclient v1 client for a path."""

    @abc.abstractmethod
    def convergence_engine(self, path):
        """The value of ``convergence_engine`` the path's engine runs with."""

    @abc.abstractmethod
    def stack_flags(self, path, stack_id):
        """The ``convergence`` flag of a stack and all its nested stacks.

        A list of dicts, root first, each with ``id``, ``name``, ``parent``,
        ``convergence``, ``action``, ``status``, ``deleted``, ``depth``, and
        ``source`` saying where the flag was read (``db`` or ``probe``);
        None where the deployment cannot read flags.
        """

    @abc.abstractmethod
    def restart(self, path, convergence_engine):
        """Restart the engine of a path or toggle cell with the option set,
        on the same database (a path's only in a test of the deployment
        itself: the parity suites share the paths)."""

    def lacks(self, requirement):
        """Why this deployment cannot offer a template's requirement
        (``requires`` in its lifecycle: ``keystone``), or None."""
        return None

    #: Whether migrate_convergence can run here (why not, if it cannot).
    cannot_migrate = None

    def prepare_toggle(self, path):
        """Put a toggle in its starting state (the embedded toggle cells
        start in it)."""

    @abc.abstractmethod
    def migrate_convergence(self, path, stack_id):
        """Do what ``heat-manage migrate_convergence_1 <stack_id>`` does.

        Returns a dict: ``method`` says how the stack was migrated, and
        ``note`` anything a reader of the report must know about it.
        Raises DeploymentError with Heat's message when Heat refuses.
        """

    def stack_timeline(self, path, stack_id):
        """The root stack's own events as ``[(action, status, datetime)]``
        with sub-second times, or None where the deployment cannot tell.
        Cheap enough to poll: the driver waits on it."""
        return None

    def timeline_watch(self, path, stack_id):
        """A watch on the stack's own events for one wait (a context
        manager, parts/notices.py): ``timeline()`` reads what
        ``stack_timeline`` gives, ``pause(seconds, expect_event)``
        sleeps until the next read may show something new. Here: a
        read every `seconds`."""
        from heat_functional.deployment.parts import notices
        return notices.Polling(lambda: self.stack_timeline(path, stack_id))

    def timeline_mark(self, path):
        """Something to give ``stack_made`` for a stack created after this
        call (None where the deployment keeps no timeline): lets
        ``stack_timeline`` skip what came before the stack."""
        return None

    def stack_made(self, path, stack_id, mark):
        """stack_id was created after ``timeline_mark`` gave `mark`."""

    def check_alive(self, path):
        """Raise CellDied, naming the path and its log, if it is gone."""

    def thread_report(self, path):
        """Have the path's Heat write a report of what every one of its
        threads is doing (oslo.reports' Guru Meditation report, as
        heat-engine writes on SIGUSR2); its file, or None where the
        deployment cannot. Evidence for a hang or a stack that never
        finishes."""
        return None

    def close(self):
        """Release what this handle holds (the owner also stops things)."""
