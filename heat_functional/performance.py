"""Where the run's CPU goes: Heat, or the harness that serves it.

The gate is CPU-bound, so every CPU second the harness spends (keystone,
its database, the pytest workers, the controller) is one Heat does not
get. A ``Sampler`` thread in the pytest controller reads ``/proc`` every
``config.PERFORMANCE_SAMPLE_S`` seconds for the processes under the
command that runs the gate (the embedded cells, keystone, PostgreSQL,
RabbitMQ, the workers) and ``summary`` turns what it saw into the
report's ``performance``:

- ``groups``: per process group (``heat:<cell>``, ``keystone``,
  ``postgresql:<database>``, ``rabbitmq``, ``workers``, ``controller``,
  ``other``) its CPU seconds and peak resident memory, and its ``role``:
  ``heat``, ``harness`` or ``other`` (RabbitMQ, which serves Heat's RPC
  but is neither);
- ``heat_cpu_s``: Heat's cells (or API and engine processes) and their
  databases; ``harness_cpu_share``: the harness's share of all the CPU
  measured; ``efficiency_ratio``: wall time / (Heat's CPU / cores), 1.0
  when the run takes no longer than Heat's own work needs.

How a group's CPU is counted: a process's CPU is its own (``utime +
stime``) plus that of the children it has reaped (``cutime + cstime``),
plus that of its live children, as last seen; a process that ended keeps
what it had when last seen, so at most one sampling interval of a
short-lived process is lost. The controller counts its own CPU only (its
children are the other groups). PostgreSQL is one server: its backends
are attributed to their database while they live; what the server and
its departed backends spent beyond that (``unattributed``) is divided
between the databases in proportion. Workers send their own CPU to the
controller when they end (pytest-xdist's ``workeroutput``): when all of
them did, that exact figure replaces the sampled one.

keystone serves two masters: Heat (a trust and a trust-scoped token for
every stack, a stack domain project, its domain admin's tokens, the
users it makes for stacks) and the harness (its users' tokens). The
embedded keystone tallies the CPU seconds it spent on each request and
who asked (``wsgi.Tally``); ``split_keystone`` moves what it spent for
Heat's users, and the same share of its database's, into the groups
``keystone-for-heat`` and ``postgresql:keystone-for-heat``, counted as
Heat's: a real cloud's keystone does that work for Heat too. Everything
else keystone spent (the harness's requests, anonymous version
discovery, its start) stays the harness's. ``keystone_split`` records
the tally; ``harness_cpu_share_keystone_whole`` and
``efficiency_ratio_keystone_whole`` give the figures with all of
keystone counted as the harness's, for whoever prefers that view.

``merged`` joins the figures of a run's shards (``report merge``), each
measured on its own node: CPU seconds are summed, the wall time is the
longest shard's.
"""

import json
import os
import re
import resource
import threading
import time

from heat_functional import config

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')
PAGE_SIZE = os.sysconf('SC_PAGE_SIZE')
#: Group name prefixes and whose they are.
HEAT_PREFIX = 'heat:'
DATABASE_PREFIX = 'postgresql:'
HARNESS_GROUPS = ('keystone', 'workers', 'controller', 'reaper',
                  'postgresql-harness-reads')
#: Databases that serve the harness rather than Heat: keystone's, and
#: the server's own, where the harness creates the others.
HARNESS_DATABASES = ('keystone', 'postgres')
KEYSTONE = 'keystone'
#: keystone's (and its database's) CPU spent on Heat's requests.
KEYSTONE_FOR_HEAT = 'keystone-for-heat'
HEAT_GROUPS = (KEYSTONE_FOR_HEAT,)
POSTGRES_SERVER = 'postgresql'
#: What identifies a part of the deployment in its command line.
ROLES = (
    ('heat_functional.deployment.programs.keystone_server', 'keystone'),
    ('heat_functional.deployment.programs.reaper', 'reaper'),
    ('rabbitmq', 'rabbitmq'),
    ('beam.smp', 'rabbitmq'),
    ('epmd', 'rabbitmq'),
)
HEAT_MARKERS = ('heat_functional.deployment.programs.heat_all',
                'heat_functional.deployment.programs.heat_api', 'heat-engine',
                'heat-manage')
WORKER_MARKERS = ('pytest-xdist', 'execnet', 'exec(eval(sys.stdin')
#: A PostgreSQL backend's title: "postgres: USER DATABASE HOST ACTIVITY".
BACKEND_TITLE = re.compile(
    r'^postgres: (?P<user>\S+) (?P<database>\S+) '
    r'(\[local\]|[0-9a-fA-F.:]+\(\d+\))')
#: The group of the backends that serve the harness's own reads.
HARNESS_READS = 'postgresql-harness-reads'


class Process(object):
    """What one reading of /proc/<pid>/stat says."""

    __slots__ = ('pid', 'ppid', 'start', 'own', 'reaped', 'rss')

    def __init__(self, pid, ppid, start, own, reaped, rss):
        self.pid, self.ppid, self.start = pid, ppid, start
        self.own, self.reaped, self.rss = own, reaped, rss


def parse_stat(text):
    """A Process from the text of /proc/<pid>/stat (CPU in seconds)."""
    pid = int(text[:text.index(' ')])
    fields = text[text.rindex(')') + 2:].split()
    # fields[0] is field 3 of proc(5): field n is fields[n - 3].
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return Process(pid, int(fields[1]), int(fields[19]),
                   (utime + stime) / CLOCK_TICKS,
                   (cutime + cstime) / CLOCK_TICKS,
                   int(fields[21]) * PAGE_SIZE)


def read_processes(proc='/proc'):
    """Every process of the machine: pid -> Process."""
    found = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, 'stat')) as f:
                process = parse_stat(f.read())
        except (OSError, ValueError, IndexError):
            continue  # ended while we looked
        found[process.pid] = process
    return found


def read_command(pid, proc='/proc'):
    """A process's command line (its title, for PostgreSQL's)."""
    try:
        with open(os.path.join(proc, str(pid), 'cmdline'), 'rb') as f:
            raw = f.read()
    except OSError:
        return ''
    return raw.replace(b'\0', b' ').decode('utf-8', 'replace').strip()


def _cell_of(command):
    """The cell a Heat process serves: the directory of its first
    configuration file (``<workdir>/<cell>/heat.conf``)."""
    words = command.split()
    for flag, value in zip(words, words[1:]):
        if flag == '--config-file':
            return os.path.basename(os.path.dirname(value)) or value
    return 'heat'


def classify(command, parent_group):
    """The group a process belongs to, from its command line, or None
    when it belongs to its parent's group."""
    title = BACKEND_TITLE.match(command)
    if title and title.group('user') == config.HARNESS_DB_READER:
        return HARNESS_READS
    if title:
        return DATABASE_PREFIX + title.group('database')
    head = command.split(' ', 1)[0]
    if os.path.basename(head) in ('postgres', 'initdb', 'pg_ctl'):
        return POSTGRES_SERVER
    if command.startswith('postgres: '):
        return parent_group or POSTGRES_SERVER  # checkpointer and friends
    if any(marker in command for marker in HEAT_MARKERS):
        if parent_group and parent_group.startswith(HEAT_PREFIX):
            return None  # heat-manage run by a cell: that cell's
        return HEAT_PREFIX + _cell_of(command)
    for marker, group in ROLES:
        if marker in command:
            return group
    if parent_group == 'controller' and any(
            marker in command for marker in WORKER_MARKERS):
        return 'workers'
    return None


class Sampler(object):
    """Samples the CPU and memory of the processes under ``roots``.

    ``roots``: the pids whose processes (and descendants) are measured;
    each counts as ``controller`` itself, its own CPU only.
    """

    def __init__(self, roots, interval=config.PERFORMANCE_SAMPLE_S,
                 proc='/proc', clock=time.monotonic):
        self.roots = list(roots)
        self.interval = interval
        self.proc = proc
        self.clock = clock
        self.started = clock()
        self.ended = None
        #: (pid, start) -> group, decided when first seen.
        self.groups = {}
        #: (pid, start) -> its CPU when last seen: own, plus its reaped
        #: children's (own only for a root).
        self.cpu = {}
        #: (pid, start) -> its parent's (pid, start), or None for a root.
        self.parents = {}
        #: group -> CPU counted twice: children seen alive that their
        #: parent (in this group) then reaped into its own figure.
        self.folded = {}
        #: group -> largest resident memory seen at one sample.
        self.peak_rss = {}
        self.samples = 0
        self._alive = set()
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def start(self):
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='heat-functional-sampler')
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self):
        """Take the last sample and stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        self.ended = self.clock()

    def sample(self):
        """One reading of every process under the roots."""
        processes = read_processes(self.proc)
        children = {}
        for process in processes.values():
            children.setdefault(process.ppid, []).append(process)
        present = {(p.pid, p.start) for p in processes.values()}
        with self._lock:
            rss, seen = {}, set()
            for root in self.roots:
                if root in processes and not any(
                        pid == root for pid, _ in seen):
                    self._visit(processes[root], None, None, children,
                                rss, seen)
            self._fold_ended(present)
            self._alive = seen
            for group, total in rss.items():
                self.peak_rss[group] = max(self.peak_rss.get(group, 0),
                                           total)
            self.samples += 1

    def _fold_ended(self, present):
        """A process seen alive last time and gone now was reaped by its
        parent, if that parent is still there: its CPU is now in the
        parent's figure too, so it is taken off the parent's group."""
        for key in self._alive - present:
            parent = self.parents.get(key)
            if parent is None or parent not in present or \
                    self.groups[parent] == 'controller':
                continue
            group = self.groups[parent]
            self.folded[group] = self.folded.get(group, 0.0) + self.cpu[key]

    def _visit(self, process, parent_key, parent_group, children, rss,
               seen):
        """Record a process and its subtree."""
        key = (process.pid, process.start)
        is_root = process.pid in self.roots
        if key not in self.groups:
            group = 'controller' if is_root else classify(
                read_command(process.pid, self.proc), parent_group)
            self.groups[key] = group or parent_group or 'other'
            self.parents[key] = None if is_root else parent_key
        group = self.groups[key]
        self.cpu[key] = process.own if is_root else (
            process.own + process.reaped)
        rss[group] = rss.get(group, 0) + process.rss
        seen.add(key)
        for child in children.get(process.pid, ()):
            self._visit(child, key, group, children, rss, seen)

    def cpu_by_group(self):
        """group -> CPU seconds, every process seen counted once."""
        with self._lock:
            totals = {}
            for key, seconds in self.cpu.items():
                group = self.groups[key]
                totals[group] = totals.get(group, 0.0) + seconds
            for group, seconds in self.folded.items():
                totals[group] -= seconds
            return totals


def divide_postgres(cpu):
    """Fold the PostgreSQL server's own and reaped CPU into the
    databases, in proportion to what their live backends were seen
    spending. Returns (cpu by group, the server's unattributed share)."""
    cpu = dict(cpu)
    server = cpu.pop(POSTGRES_SERVER, 0.0)
    databases = {g: s for g, s in cpu.items()
                 if g.startswith(DATABASE_PREFIX) or g == HARNESS_READS}
    attributed = sum(databases.values())
    if not databases:
        if server:
            cpu[POSTGRES_SERVER] = server
        return cpu, server
    unattributed = server
    for group, seconds in databases.items():
        share = seconds / attributed if attributed else 1.0 / len(databases)
        cpu[group] = seconds + unattributed * share
    return cpu, unattributed


def split_keystone(cpu, tally):
    """Move keystone's CPU spent for Heat into ``KEYSTONE_FOR_HEAT``.

    ``tally``: per requester (``heat``, ``harness``, ``anonymous``) the
    CPU seconds keystone's request threads spent (``wsgi.Tally.totals``),
    or None when keystone kept none (not ours, or it died early). Heat's
    tallied seconds move as they are (at most all keystone's), and the
    same share of keystone's database. Returns (cpu by group, the split's
    record or None)."""
    if not tally or KEYSTONE not in cpu:
        return cpu, None
    cpu = dict(cpu)
    tallied = sum(t.get('cpu_s', 0.0) for t in tally.values())
    for_heat = min(tally.get('heat', {}).get('cpu_s', 0.0), cpu[KEYSTONE])
    share = for_heat / tallied if tallied else 0.0
    cpu[KEYSTONE] -= for_heat
    cpu[KEYSTONE_FOR_HEAT] = for_heat
    database = DATABASE_PREFIX + KEYSTONE
    if database in cpu:
        cpu[DATABASE_PREFIX + KEYSTONE_FOR_HEAT] = cpu[database] * share
        cpu[database] -= cpu[database] * share
    return cpu, {
        'method': 'CPU seconds of keystone\'s request threads by who '
                  'asked (wsgi.Tally); Heat\'s move to keystone-for-heat, '
                  'and the same share of keystone\'s database',
        'requesters': tally,
        'heat_share_of_requests': round(share, 3),
    }


def role(group):
    if group.startswith(HEAT_PREFIX) or group in HEAT_GROUPS:
        return 'heat'
    if group.startswith(DATABASE_PREFIX):
        database = group[len(DATABASE_PREFIX):]
        return 'harness' if database in HARNESS_DATABASES else 'heat'
    if group in HARNESS_GROUPS:
        return 'harness'
    return 'other'


def summary(sampler, cores=None, worker_usage=None, keystone_tally=None):
    """The report's ``performance`` from a stopped sampler.

    ``worker_usage``: the workers' own exact CPU seconds, when all said;
    ``keystone_tally``: keystone's tally by requester (split_keystone)."""
    cores = cores or available_cores()
    cpu, unattributed = divide_postgres(sampler.cpu_by_group())
    cpu, keystone_split = split_keystone(cpu, keystone_tally)
    if worker_usage is not None:
        cpu['workers'] = worker_usage
    wall = (sampler.ended or sampler.clock()) - sampler.started
    groups = {g: {'cpu_s': round(s, 1), 'role': role(g),
                  'peak_rss_mib': round(sampler.peak_rss.get(g, 0) / 2 ** 20,
                                        1)}
              for g, s in sorted(cpu.items())}
    by_role = _by_role(groups)
    total = sum(by_role.values())
    heat = by_role.get('heat', 0.0)
    return dict(_keystone_whole(groups, wall, cores), **{
        'cores': cores,
        'wall_s': round(wall, 1),
        'samples': sampler.samples,
        'sample_interval_s': sampler.interval,
        'cpu_s': {g: v['cpu_s'] for g, v in groups.items()},
        'groups': groups,
        'heat_cpu_s': round(heat, 1),
        'harness_cpu_s': round(by_role.get('harness', 0.0), 1),
        'other_cpu_s': round(by_role.get('other', 0.0), 1),
        'postgresql_unattributed_s': round(unattributed, 1),
        'harness_cpu_share': _share(by_role.get('harness', 0.0), total),
        'efficiency_ratio': _ratio(wall, heat, cores),
        'keystone_split': keystone_split,
    })


def _keystone_whole(groups, wall, cores):
    """The harness's share and the efficiency ratio as they would be
    with all of keystone and its database counted as the harness's."""
    moved = sum(g['cpu_s'] for name, g in groups.items()
                if name in (KEYSTONE_FOR_HEAT,
                            DATABASE_PREFIX + KEYSTONE_FOR_HEAT))
    by_role = _by_role(groups)
    return {
        'harness_cpu_share_keystone_whole': _share(
            by_role.get('harness', 0.0) + moved, sum(by_role.values())),
        'efficiency_ratio_keystone_whole': _ratio(
            wall, by_role.get('heat', 0.0) - moved, cores),
    }


def _by_role(groups):
    """CPU seconds per role (heat, harness, other) of these groups."""
    by_role = {}
    for group in groups.values():
        by_role[group['role']] = by_role.get(group['role'], 0.0) + (
            group['cpu_s'])
    return by_role


def _share(part, total):
    return round(part / total, 3) if total else None


def _ratio(wall, heat, cores):
    """The efficiency ratio: wall time / (Heat's CPU / cores)."""
    return round(wall / (heat / cores), 2) if heat > 0 else None


def merged(summaries):
    """One ``performance`` of the shards' (each on its own node): CPU
    seconds summed per group and role, cores summed, the wall time the
    longest shard's (``wall_is`` says so), peak memory the highest; None
    when a shard measured nothing."""
    if not summaries or any(not s for s in summaries):
        return None
    groups = {}
    for summary_ in summaries:
        for name, group in summary_['groups'].items():
            into = groups.setdefault(name, {'cpu_s': 0.0,
                                            'role': group['role'],
                                            'peak_rss_mib': 0.0})
            into['cpu_s'] = round(into['cpu_s'] + group['cpu_s'], 1)
            into['peak_rss_mib'] = max(into['peak_rss_mib'],
                                       group['peak_rss_mib'])
    cores = sum(s['cores'] for s in summaries)
    wall = max(s['wall_s'] for s in summaries)
    sums = {field: round(sum(s[field] for s in summaries), 1)
            for field in ('heat_cpu_s', 'harness_cpu_s', 'other_cpu_s',
                          'postgresql_unattributed_s')}
    total = sums['heat_cpu_s'] + sums['harness_cpu_s'] + sums['other_cpu_s']
    return dict(
        sums, **_keystone_whole(groups, wall, cores), cores=cores,
        wall_s=wall,
        keystone_split=[s.get('keystone_split') for s in summaries],
        wall_is='the longest of %d shards; CPU seconds and cores are '
        'summed over them' % len(summaries),
        samples=sum(s['samples'] for s in summaries),
        sample_interval_s=summaries[0]['sample_interval_s'],
        cpu_s={g: v['cpu_s'] for g, v in sorted(groups.items())},
        groups=dict(sorted(groups.items())),
        harness_cpu_share=_share(sums['harness_cpu_s'], total),
        efficiency_ratio=_ratio(wall, sums['heat_cpu_s'], cores))


def keystone_tally(description):
    """The tally the deployment's keystone keeps of who asked it what,
    when keystone is the harness's own (embedded, or the cloud owner's);
    None otherwise, or when it cannot be read."""
    description = description or {}
    tally_file = (description.get('keystone') or {}).get('tally_file') or (
        description.get('started_by_harness') or {}).get(
        'keystone_tally_file')
    if not tally_file:
        return None
    try:
        with open(tally_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def available_cores():
    """The cores this process may run on (``taskset`` included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def worker_cpu_s():
    """A worker's CPU seconds: its own and its reaped children's (the
    commands it ran). Sent to the controller when the worker ends."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime + children.ru_utime +
            children.ru_stime)


def measured_roots():
    """The processes to measure under: the command that runs the gate
    (the cloud deployment's parts are its children) when this pytest
    is its child, else this process."""
    parent = os.getppid()
    command = read_command(parent)
    if 'heat_functional' in command or 'heat-functional' in command:
        return [parent, os.getpid()]
    return [os.getpid()]


def text_lines(measured):
    """The report table's lines about where the CPU went."""
    if not measured:
        return []
    share = measured.get('harness_cpu_share')
    lines = ['CPU: Heat %.0f s, harness %.0f s (%s of all measured), other '
             '%.0f s; wall %.0f s on %d cores; efficiency ratio %s (wall '
             'time / Heat CPU per core)' % (
                 measured['heat_cpu_s'], measured['harness_cpu_s'],
                 '%.1f %%' % (100 * share) if share is not None else 'n/a',
                 measured['other_cpu_s'], measured['wall_s'],
                 measured['cores'], measured['efficiency_ratio']
                 if measured['efficiency_ratio'] is not None else 'n/a')]
    split = measured.get('keystone_split')
    if split and not isinstance(split, list):
        lines.append('  (keystone: %.0f s for Heat\'s requests, counted as '
                     'Heat\'s; with all of keystone the harness\'s: share '
                     '%.1f %%, efficiency ratio %s)' % (
                         measured['cpu_s'].get(KEYSTONE_FOR_HEAT, 0.0),
                         100 * (measured.get(
                             'harness_cpu_share_keystone_whole') or 0),
                         measured.get('efficiency_ratio_keystone_whole')))
    if measured.get('wall_is'):
        lines.append('  (merged shards: wall time is %s)'
                     % measured['wall_is'])
    if not measured['heat_cpu_s']:
        lines.append('  (no Heat process on this machine: an external '
                     'target is measured by its own operators)')
    return lines
