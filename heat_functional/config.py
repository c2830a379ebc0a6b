"""Configuration of heat-functional, in one place.

Every default the harness uses (path names, timeouts, poll intervals,
environment variables, file names) is defined here, so that a reader can
see at a glance what can be tuned and nothing is hidden in a module.
"""

import os
import re
import secrets
import time

# The two paths under comparison: path name -> value of Heat's
# ``[DEFAULT] convergence_engine`` option for new stacks on that path.
PATHS = {
    'legacy': False,
    'convergence': True,
}
PATH_NAMES = tuple(PATHS)

# Cells the flag lifecycle suite may restart with the option flipped
# (``scenarios/test_flag_lifecycle.py``): name -> the value of
# ``convergence_engine`` the cell starts with. A restart is cell-wide, so
# the parity paths are never restarted; these cells serve no other suite.
TOGGLES = {
    'flip-on': False,
    'flip-back': True,
}

# Environment variables.
#: Everything a run was asked for, as JSON (run_spec.py): the one
#: variable through which ``heat-functional run`` and ``gate`` hand the
#: run's settings to pytest and its workers.
RUN_SPEC_ENV = 'HEAT_FUNCTIONAL_RUN_SPEC'

# The per-setting variables below (REPORT_DIR_ENV to TOGGLES_ENV, AUTH_ENV,
# ACTIONS_ENV, FAILURES_ENV, ONLY_ENV) set up a pytest run started by
# hand, which has no run spec (run_spec.from_variables); the command line
# reads $HEAT_FUNCTIONAL_DB, _AUTH and _HEAT_SOURCE as its options'
# defaults, and $HEAT_FUNCTIONAL_TOGGLES.

#: JSON file describing a running deployment (written by its owner,
#: read by pytest workers).
DEPLOYMENT_ENV = 'HEAT_FUNCTIONAL_DEPLOYMENT'
#: The description itself, where it holds secrets (an external target's
#: database URLs): it then reaches pytest in its environment, never a
#: file; the report directory gets a redacted copy.
DEPLOYMENT_JSON_ENV = 'HEAT_FUNCTIONAL_DEPLOYMENT_JSON'
#: Directory where a run writes its report, case records and logs.
REPORT_DIR_ENV = 'HEAT_FUNCTIONAL_REPORT_DIR'
#: Directory of templates to run (defaults to the shipped ``templates/``).
TEMPLATES_ENV = 'HEAT_FUNCTIONAL_TEMPLATES'
#: Comma-separated subset of PATH_NAMES to run.
PATHS_ENV = 'HEAT_FUNCTIONAL_PATHS'
#: Database flavour of the embedded deployment: postgresql or sqlite.
DB_ENV = 'HEAT_FUNCTIONAL_DB'
#: How many times the lifecycle suite runs each lifecycle per path, each
#: time on a fresh stack (``--repeat``; see repeats.py).
REPEAT_ENV = 'HEAT_FUNCTIONAL_REPEAT'
#: Set to 1 (``--strict``) to hold a step whose sidecar declares no
#: ``expect`` to the default status (CREATE_COMPLETE, UPDATE_COMPLETE)
#: rather than to parity only (alike.py).
STRICT_ENV = 'HEAT_FUNCTIONAL_STRICT'
#: A Heat git checkout the embedded cells import Heat from, instead of
#: the installed openstack-heat (``--heat-source``;
#: deployment/parts/source.py).
HEAT_SOURCE_ENV = 'HEAT_FUNCTIONAL_HEAT_SOURCE'
#: Environment files applied to every template, before its own
#: (``--environment``, repeatable): a JSON list of absolute paths.
ENVIRONMENTS_ENV = 'HEAT_FUNCTIONAL_ENVIRONMENTS'
#: Set to 0 to start no toggle cell (the flag lifecycle suite then skips
#: its flip scenarios, saying why).
TOGGLES_ENV = 'HEAT_FUNCTIONAL_TOGGLES'

DB_KINDS = ('postgresql', 'sqlite')
DEFAULT_DB = 'postgresql'
#: How clients and cells authenticate: a real keystone the embedded
#: deployment starts (every resource type Heat offers without other
#: services), or none (Heat's noauth pipeline; fewer types).
AUTH_ENV = 'HEAT_FUNCTIONAL_AUTH'
AUTH_KINDS = ('keystone', 'noauth')
DEFAULT_AUTH = 'keystone'

# Timeouts, in seconds.
CELL_READY_TIMEOUT = float(os.environ.get('HEAT_FUNCTIONAL_CELL_TIMEOUT', 180))
DATABASE_READY_TIMEOUT = 60.0
STACK_TIMEOUT_ENV = 'HEAT_FUNCTIONAL_STACK_TIMEOUT'
STACK_TIMEOUT = float(os.environ.get(STACK_TIMEOUT_ENV, 600))
#: Longest sleep of the fake:// RPC listeners in a cell (see
#: deployment/programs/heat_all.py).
FAKE_RPC_POLL = 0.005
#: Time a process gets between SIGTERM and SIGKILL.
STOP_GRACE = 5.0
#: Interval between two polls of a process's readiness.
POLL_INTERVAL = 0.2
#: Polls of a stack's status (its timeline in the database, where the
#: deployment offers it, else the API) start this often and back off to
#: STACK_POLL_MAX (seconds): short actions are seen finishing within
#: ~50 ms, long ones cost at most four reads a second. A fixed 50 ms for
#: the timeline made its reads 32 % of the workers' CPU (py-spy on a
#: main-job run), and each read is a query PostgreSQL serves too.
STACK_POLL_FIRST = 0.05
STACK_POLL_GROWTH = 1.5
STACK_POLL_MAX = 0.25
#: Where a stack's own events come with a notice (the databases the
#: harness prepared: deployment/parts/notices.py), a wait reads the
#: timeline when one comes, and at the latest after this many seconds.
NOTICE_WAIT_MAX = 1.0
#: Where the deployment offers a timeline of a stack's own events (the
#: embedded one reads the event rows), it is polled this often.
STATE_PROBE_INTERVAL = 0.05
#: After an action ends, how long resources still in progress or listed as
#: deleted get to settle before the stack is observed as it is.
SETTLE_TIMEOUT = 35.0
SETTLE_INTERVAL = 0.2
#: How long a request is repeated while Heat answers 409 ActionInProgress
#: for a stack whose last action has ended (see client.retry_while_locked).
LOCK_RETRY_TIMEOUT = 30.0
#: How many times a request is sent again when Heat rejects it with an
#: answer that a known Heat race explains (known-bugs.yaml, ``resend``;
#: client.StackDriver.send). A rejection that comes back every time is
#: the template's, and is reported as Heat gave it.
RACE_RESENDS = 2
#: Seconds before the first resend of such a request, doubled before each
#: next one: a race that lasts while Heat writes a stack's rows (the legacy
#: engine shows a stack it is still storing) has gone by a moment later.
RACE_RESEND_PAUSE = 0.2
#: The PostgreSQL role the harness reads Heat's rows with (flags, event
#: timelines): read-only, and named in the title of the backends that
#: serve it, so that their CPU counts as the harness's.
HARNESS_DB_READER = 'heat_functional_reader'

#: Heat's rpc_response_timeout in the cells the harness starts (Heat's
#: default is 60 s). The legacy engine creates and updates nested stacks
#: through RPC calls to itself; on a 2-core machine running four cells
#: and 12 workers the reply once took longer than 60 s, and 5 cases
#: failed with "MessagingTimeout: No reply on topic engine" in one
#: main-job run. An overloaded test machine is not a difference between
#: the paths; a hang still ends at the stack's own timeout.
CELL_RPC_TIMEOUT = 300

#: After a delete, how long the stack rows get to be marked deleted
#: (convergence reports DELETE_COMPLETE before it soft-deletes the rows;
#: a loaded CI machine once took more than 10 s on a migrated stack).
DELETE_SETTLE = 30.0
#: After a FAILED action with rollback on, how long to wait for the
#: ROLLBACK to start before taking the failure as final.
ROLLBACK_GRACE = 10.0
#: How often an agent (agents.py) looks at what it waits for: every
#: AGENT_POLL_INTERVAL seconds at first, backing off to AGENT_POLL_MAX.
AGENT_POLL_INTERVAL = 0.1
AGENT_POLL_MAX = 0.5
#: Heat's default max_nested_stack_depth: no stack nests deeper.
MAX_NESTED_DEPTH = 5
#: A case's own value (an id, a stack name: observation.Placeholders)
#: shorter than this is replaced only where it is a whole string, not
#: inside longer ones: an external_id like ``a1`` would otherwise turn up
#: inside unrelated text.
MIN_EMBEDDED_VALUE = 8

#: Seconds the black-box probe's resource takes to create (probe.py): the
#: window in which the probe's second update must arrive.
PROBE_WAIT = 10
#: Templates the probe is checked on against the database, on each path;
#: on another directory than the shipped one, every template whose create
#: is expected to complete (or those SUITE_SETTINGS_FILE names).
PROBE_TEMPLATES = ('resource_group', 'provider_via_files', 'v_cfn_2010_09_09')
#: Templates the actions suite (scenarios/test_actions.py) runs on by
#: default: one of each kind (groups, providers, deep nesting, CFN,
#: random values, TestResource, scaling, software configs, OS::Heat::Stack,
#: keystone users; templates whose steps need the harness as an agent are
#: not in the suite). fn_conditions is not among them: the paths differ
#: there after restore, PATCH and adopt (divergences/README.rst, "Found
#: by the actions suite"). keystone_resources is not among them either:
#: its resources have fixed names, so the replacement mark-unhealthy asks
#: for conflicts with the original in keystone (409) on both paths.
#: Every template whose create completes when $HEAT_FUNCTIONAL_ACTIONS is
#: "all" or the template directory is not the shipped one (its
#: SUITE_SETTINGS_FILE may name fewer); a comma-separated list picks
#: others.
ACTIONS_ENV = 'HEAT_FUNCTIONAL_ACTIONS'
ACTION_TEMPLATES = ('resource_group', 'provider_via_files', 'res_nested_deep',
                    'v_cfn_2010_09_09', 'random_string', 'res_test_resource',
                    'scaling_policy', 'sw_configs', 'heat_stack',
                    'iam_user')
#: Templates the failures suite (failures.py) runs on by default, one of
#: each shape: a group, provider templates, the CFN format, a plain stack
#: (about 180 cases, a minute of the gate on 2 cores). Every template
#: whose create completes when $HEAT_FUNCTIONAL_FAILURES is "all" or the
#: template directory is not the shipped one (as for the actions); a
#: comma-separated list picks others.
FAILURES_ENV = 'HEAT_FUNCTIONAL_FAILURES'
#: Comma-separated template names every suite is limited to (``--only``);
#: the actions and failures suites run on their templates among them.
ONLY_ENV = 'HEAT_FUNCTIONAL_ONLY'
FAILURE_TEMPLATES = ('resource_group', 'provider_via_files',
                     'v_cfn_2010_09_09', 'res_test_resource')
#: Templates the failures suite's stack timeout runs on (it takes a
#: minute: timeout_mins is whole minutes).
TIMEOUT_TEMPLATES = ('res_test_resource',)
#: Seconds the failures suite's slow resource takes to create: the
#: window in which an update is cancelled or a create deleted. Neither
#: path interrupts a resource's create when cancelling (legacy waits for
#: it; convergence lets it finish after the stack has failed), so it
#: stays below SETTLE_TIMEOUT, for the stack to be observed settled.
#: 5 s was too short once on a loaded machine: the update had ended when
#: the cancel came. So was 10 s in a main-job run at load average 20 on
#: two cores: the harness saw the slow resource alone in progress 9.6 s
#: after its create began, and the engine took 4.9 s more to act on the
#: cancel (legacy's log), by when the update had ended.
SLOW_WAIT = 25
#: Seconds the timeout sequence's slow resource takes (past 1 minute).
TIMEOUT_WAIT = 120
#: Threads a flip scenario runs its templates on.
FLIP_WORKERS = 8
#: How long an operator's command (toggle, migration) may run.
OPERATOR_COMMAND_TIMEOUT = float(os.environ.get(
    'HEAT_FUNCTIONAL_COMMAND_TIMEOUT', 600))
#: HTTP timeout of one API call to a cell.
API_TIMEOUT = 60.0

# The devstack-like deployment (``--target cloud``, deployment/cloud.py).
#: heat-engine processes per path and per toggle cell; they share the
#: cell's RabbitMQ virtual host, as the engine hosts of one cloud do.
CLOUD_ENGINES = int(os.environ.get('HEAT_FUNCTIONAL_CLOUD_ENGINES', 2))
#: Debian's rabbitmq-server start script (behind its `su rabbitmq`
#: wrapper in /usr/sbin) and the Erlang port mapper.
RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
EPMD = 'epmd'
RABBITMQ_READY_TIMEOUT = 120.0
#: The description of a running devstack-like deployment, in the report
#: directory (its operator commands read it).
CLOUD_DESCRIPTION_JSON = 'cloud.json'

#: How often the run's processes are sampled for the report's
#: ``performance`` (performance.py): one reading of /proc costs about a
#: millisecond per process measured.
PERFORMANCE_SAMPLE_S = 2.0
#: The product the harness's keystoneauth sessions name first in their
#: User-Agent (``app_name``): how keystone's tally (wsgi.Tally) tells the
#: harness's requests from Heat's.
USER_AGENT = 'heat-functional'
#: How often the embedded keystone rewrites its tally of who asked it
#: what (wsgi.Tally), which the report's ``performance`` splits
#: keystone's CPU with: a few hundred bytes of JSON.
KEYSTONE_TALLY_WRITE_S = 5.0
#: How long the loopback WSGI servers (deployment/wsgi.py) keep an idle
#: HTTP/1.1 connection open for its client's next request.
HTTP_IDLE_TIMEOUT = 120.0

#: Lines of a cell's log shown in an error about that cell.
LOG_TAIL_LINES = 30
#: ...and at most this many of its ERROR lines that concern the stack
#: (processes.log_errors): the tail alone misses an engine thread that
#: died minutes before the timeout.
LOG_ERROR_LINES = 10
#: Events of a stack (nested stacks included) shown when a wait for it
#: times out, with the cell's last LOG_TAIL_LINES log lines.
HANG_EVENTS = 10
#: How long a cell gets to write its threads' report (SIGUSR2, oslo.reports'
#: Guru Meditation report) after the harness asks for it.
THREAD_REPORT_TIMEOUT = 10.0

#: The clouds.yaml name of a cell that the harness writes (deploy, the
#: devstack-like deployment, the tempest plugin): CLOUD_PREFIX + cell.
CLOUD_PREFIX = 'heat-functional-'

#: Prefix of the resources the harness adds to a template's own (the
#: failures suite's, the probe's, the actions' change): they are not the
#: template's, e.g. for the resource-type table (tools/type_coverage.py).
HARNESS_RESOURCE_PREFIX = 'heat_functional_'

#: Prefix of every stack the harness creates, and its first tag.
STACK_PREFIX = 'hf'
#: Every stack also carries RUN_TAG_PREFIX + the run's id, so that
#: ``heat-functional cleanup --run ID`` (cleanup.py) finds one run's
#: leftovers. The id is made once per run, by whoever starts it first (the
#: command, or the pytest controller), and passed on in RUN_ID_ENV.
RUN_ID_ENV = 'HEAT_FUNCTIONAL_RUN_ID'
RUN_TAG_PREFIX = STACK_PREFIX + '-run-'
#: What a run id may look like (a Heat tag holds at most 80 characters
#: and no comma).
RUN_ID_PATTERN = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
#: ``cleanup`` without ``--run`` leaves every run one of whose stacks
#: changed within this many minutes (``--older-than`` sets another): a
#: run going on elsewhere is not deleted under it.
CLEANUP_OLDER_THAN = 60
#: Where the runs alive on this machine register themselves, for
#: ``cleanup`` to leave them alone (live_runs.py): a directory private
#: to the user, by default LIVE_RUNS_DIR in $XDG_RUNTIME_DIR, or else
#: LIVE_RUNS_DIR-<uid> in the system's temporary directory.
LIVE_RUNS_ENV = 'HEAT_FUNCTIONAL_LIVE_RUNS'
LIVE_RUNS_DIR = 'heat-functional-runs'

#: A template directory's own settings, at its top (discovery.py): the
#: case names the actions, failures and probe suites run on there
#: (``actions: [a, topic/b]``), instead of every case whose create is
#: expected to complete.
SUITE_SETTINGS_FILE = 'heat-functional.yaml'

#: Where the shipped templates live.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SHIPPED_TEMPLATES = os.path.join(os.path.dirname(PACKAGE_DIR), 'templates')
#: The manual's pages, relative to the top of a source checkout: --help
#: names the page that tells the whole story (tox -e docs builds them).
MANUAL_DIR = 'doc/source'
#: The gabbi tests of the API (scenarios/test_gabbits.py). They run on the
#: embedded cells unless an endpoint (.../v1/<project>) and token of a real
#: cloud are set; a suffix _LEGACY or _CONVERGENCE sets them for one path.
SHIPPED_GABBITS = os.path.join(os.path.dirname(PACKAGE_DIR), 'gabbits')
GABBI_ENDPOINT_ENV = 'HEAT_FUNCTIONAL_GABBI_ENDPOINT'
GABBI_TOKEN_ENV = 'HEAT_FUNCTIONAL_GABBI_TOKEN'

#: Report file names inside the report directory.
REPORT_JSON = 'report.json'
JUNIT_XML = 'junit.xml'
CASES_DIR = 'cases'
LOGS_DIR = 'logs'
DESCRIPTION_JSON = 'deployment.json'
#: What discovery found in the template directory (discovery.py): the
#: cases and their environments, the helpers and their users, the
#: skipped files and why; the report's ``corpus``.
CORPUS_JSON = 'corpus.json'
#: Why a deployment the CLI owns (``--target cloud``) stopped the run: the
#: dead part and its log tail, for the report's ``interrupted``.
INTERRUPTED_TXT = 'interrupted.txt'

#: The share of a suite's planned cases (per path) that may skip before
#: the verdict fails; '*' for suites not named. Skips because the target
#: lacks what a case needs (a template's ``requires:``, a toggle cell, a
#: migrate command) and declared expected failures are not counted: the
#: report lists them apart, and missing flip or migration evidence makes
#: "the default may change" no. The lifecycle and flag suites may skip
#: nothing else; the others only where an earlier step of the same
#: sequence failed (which fails the run by itself) or the template offers
#: nothing to act on (e.g. no resource with a physical id to adopt).
SKIP_LIMITS = {
    'lifecycle': 0.0, 'flip': 0.0, 'migrate': 0.0, 'probe': 0.0,
    'migration_refused_while_in_progress': 0.0,
    '*': 0.1,
}
#: Seconds `heat-functional run` gives pytest to stop and write its report
#: after a Ctrl-C or SIGTERM, before it kills pytest and writes the report
#: itself from the case records.
INTERRUPT_GRACE = float(os.environ.get('HEAT_FUNCTIONAL_INTERRUPT_GRACE',
                                       60))

#: The noise pass (noise_pass.py): without --repeat, the create of each
#: template whose create differs between the paths runs once more per
#: path, as this repetition, to learn what differs between two runs of
#: one path (results/noise.py); its pytest writes this JUnit file.
NOISE_PASS_STEP = 'create'
NOISE_PASS_REPETITION = 2
NOISE_PASS_JUNIT_XML = 'junit-noise-pass.xml'

#: The parity allowances shipped with the harness.
ALLOWANCES_FILE = os.path.join(PACKAGE_DIR, 'parity-allowances.yaml')
#: Heat bugs the flag checks and the requests know (see the file's
#: header).
KNOWN_BUGS_FILE = os.path.join(PACKAGE_DIR, 'known-bugs.yaml')
#: Each case's seconds, measured on a main job (costs.py): the order in
#: which a run with workers hands out its cases, longest first.
CASE_COSTS_FILE = os.path.join(PACKAGE_DIR, 'case-costs.json')
#: The known divergences of the two paths, one template each
#: (divergences/README.rst); the fuzzer counts a finding they explain.
DIVERGENCES_DIR = os.path.join(os.path.dirname(PACKAGE_DIR), 'divergences')

# The fuzzer (heat_functional/fuzz/). The resource types it draws from,
# with their weights, where the deployment offers them: the types whose
# behaviour is the engines' own (nothing outside the deployment: no
# Nova, Neutron, Cinder, Swift). Their properties come from the
# deployment's schemas, never from here.
FUZZ_TYPES = {
    'OS::Heat::TestResource': 8,
    'OS::Heat::None': 3,
    'OS::Heat::Value': 4,
    'OS::Heat::RandomString': 2,
    'OS::Heat::ResourceGroup': 3,
    'OS::Heat::ResourceChain': 2,
    'OS::Heat::AutoScalingGroup': 2,
    'OS::Heat::Stack': 1,
    'OS::Heat::SoftwareConfig': 1,
    'OS::Heat::StructuredConfig': 1,
    'OS::Heat::CloudConfig': 1,
    'OS::Heat::MultipartMime': 1,
    'OS::Heat::SoftwareComponent': 1,
}
#: Weight of a provider template (a nested file the fuzzer writes).
FUZZ_PROVIDER_WEIGHT = 3
#: Types that go through keystone's catalog (OS::Heat::Stack calls the
#: orchestration API; the software configs are stored by Heat's own
#: software-config API): a case using one ``requires: [keystone]``.
FUZZ_KEYSTONE_TYPES = ('OS::Heat::Stack', 'OS::Heat::SoftwareConfig',
                       'OS::Heat::StructuredConfig',
                       'OS::Heat::CloudConfig', 'OS::Heat::MultipartMime',
                       'OS::Heat::SoftwareComponent')
#: Properties the fuzzer leaves to their defaults, and why.
FUZZ_AVOID_PROPERTIES = {
    'OS::Heat::TestResource': {
        'client_name': 'polls a client of another service',
        'entity_name': 'polls a client of another service',
        'constraint_prop_secs': 'its custom constraint test_constr is '
                                'not registered outside Heat\'s tests',
        'wait_secs': 'the per-action waits cover it',
        'update_replace_value': 'a replacement is asked for through '
                                'update_replace',
    },
    'OS::Heat::RandomString': {
        'character_classes': 'the length must cover each class\'s min',
        'character_sequences': 'the length must cover each sequence\'s '
                               'min',
    },
}
#: Seconds at most of any wait the fuzzer asks a TestResource for.
FUZZ_MAX_WAIT_SECS = 2
#: At most this many resources in a generated template, this many
#: levels of provider templates, and this many updates in a lifecycle.
FUZZ_MAX_RESOURCES = 6
FUZZ_MAX_DEPTH = 3
FUZZ_MAX_UPDATES = 4
#: The stack actions a generated case may also go through, after its
#: lifecycle: the actions suite's sequence (actions.py: suspend, resume,
#: check, snapshot and restore, PATCH with ``existing``, abandon and
#: adopt...) and one sequence of the failures suite (failures.py:
#: cancel during an update, a failed update repaired, an update during
#: an update...), each in that share of the cases. Drawn apart from the
#: template (generate.suites), so a seed's templates stay the same.
FUZZ_SUITES = {'actions': 0.2, 'failures': 0.2}
#: The failure sequences the fuzzer draws from (not ``timeout``: it
#: takes a minute whatever the template).
FUZZ_FAILURE_SEQUENCES = ('update-failures', 'create-failure',
                          'create-failure-rollback', 'concurrent',
                          'delete-during-create')
#: heat-functional fuzz: its default report directory (under the
#: current directory), worker threads sharing the deployment, and how
#: many re-runs the shrinker may make per new finding (each re-run is
#: one lifecycle on both paths: tens of seconds).
FUZZ_REPORT_DIR = os.path.join('reports', 'fuzz')
FUZZ_WORKERS = 2
FUZZ_SHRINK_BUDGET = 40
#: heat-functional fuzz: seconds a step may take before it counts as a
#: hang (the gate's STACK_TIMEOUT is 600). A generated step is small
#: (FUZZ_MAX_RESOURCES, FUZZ_MAX_DEPTH, FUZZ_MAX_WAIT_SECS): the
#: slowest whole case of a 30-minute run (rediscover-1, 153 cases)
#: took 323 s for all its steps on both paths, while each hang (legacy
#: never ends nullable_if_false_on_update's update) held a worker for
#: the full timeout, three times over with its confirmations. The
#: environment's STACK_TIMEOUT_ENV, where set, sets this one too.
FUZZ_STACK_TIMEOUT = float(os.environ.get(STACK_TIMEOUT_ENV, 300))
#: The HOT versions the fuzzer writes, and the functions it uses from
#: each (each version has those of the one before it). Conditions come
#: with 2016-10-14, external_id with 2017-02-24, the two-argument
#: ``if`` with 2021-04-16.
FUZZ_VERSIONS = {
    '2015-04-30': ('get_param', 'get_attr', 'get_resource', 'list_join',
                   'str_replace', 'repeat', 'digest'),
    '2015-10-15': ('str_split',),
    '2016-04-08': ('map_merge',),
    '2016-10-14': ('if', 'equals', 'not', 'and', 'or', 'map_replace'),
    '2017-02-24': ('filter', 'str_replace_strict'),
    '2017-09-01': ('contains', 'list_concat', 'list_concat_unique',
                   'str_replace_vstrict'),
    '2018-08-31': (),
    '2021-04-16': ('if/2',),
}


def template_names(raw, default=None):
    """Template names from comma-separated text: None (every template)
    for "all", `default` for nothing."""
    raw = (raw or '').strip()
    if raw == 'all':
        return None
    if raw:
        return tuple(name.strip() for name in raw.split(',') if name.strip())
    return default


def initial_convergence(cell):
    """The convergence_engine a path's or toggle's cell starts with."""
    if cell in PATHS:
        return PATHS[cell]
    return TOGGLES[cell]


def new_run_id():
    """A fresh run id: UTC time of the start and a random suffix."""
    return '%s-%s' % (time.strftime('%Y%m%dt%H%M%S', time.gmtime()),
                      secrets.token_hex(3))


def check_run_id(value):
    """value if it can be a run id; ValueError naming it otherwise."""
    if not RUN_ID_PATTERN.match(value or ''):
        raise ValueError('run id %r: expected 1 to 64 letters, digits, '
                         '".", "_" or "-"' % value)
    return value


def run_id():
    """This run's id, from $HEAT_FUNCTIONAL_RUN_ID; the first caller
    without one makes it and puts it there, for its child processes."""
    value = os.environ.get(RUN_ID_ENV)
    if not value:
        value = os.environ[RUN_ID_ENV] = new_run_id()
    return check_run_id(value)


def stack_tags():
    """The tags of every stack the harness creates."""
    return [STACK_PREFIX, RUN_TAG_PREFIX + run_id()]
