"""Discovery: which files of a template directory are cases, and why.

The directory and its subdirectories are walked (hidden files and
folders left out). Each file is a template (a mapping with a template
version key), an environment (``*.env.yaml``, ``*.env``, or a mapping of
environment sections only), a sidecar (``*.lifecycle.yaml``), the
directory's suite settings (config.SUITE_SETTINGS_FILE at its top) or
data.

A file uses another by reference (references.py: HOT ``type`` and
``get_file``, CFN ``Type`` and ``Fn::GetFile``, an environment's
``resource_registry``), by its sidecar (``environment``, an update's
``template`` and ``environment``), or, for a template, by the
environment beside it (``<name>.env.yaml``, else ``<name>.env``; a
sidecar's ``environment`` replaces it). The roots, the templates no
other file uses, are the cases, each named by its path relative to the
directory without the extension (``topic/parent``); a template that is
used may still be named a root by ``root: true`` in its sidecar. Every
used file is a helper, listed with its users; every other file is
listed as skipped, with the reason.

A directory that cannot be run is refused before anything starts
(CorpusError, every problem named): a reference to a file outside it
(symbolic links followed) or to a URL, a cycle of references, a root
that holds YAML but no template nor environment, or case names that
collide once folded (corpus.check_names). A reference to a file that
does not exist, or a root whose YAML cannot be read, fails only the
cases of the templates concerned, naming the file, when they load it.
"""

import functools
import json
import os

import yaml

from heat_functional import config
from heat_functional import corpus
from heat_functional import references
from heat_functional import run_spec

ENV_SUFFIXES = (corpus.ENV_SUFFIX, '.env')
#: How a sidecar's use of a file is named (a sidecar naming its own
#: template, an update back to it, is no use; nor part of a cycle).
SIDECAR = 'sidecar: '
#: Who uses the --environment files, in the report.
GLOBAL_USER = '--environment'
#: Keys of the settings file: suite -> the case names it runs on.
SETTINGS_KEYS = ('actions', 'failures', 'probe')


class Survey(object):
    """What discovery found in a directory."""

    def __init__(self, directory, environments):
        self.directory = os.path.abspath(directory)
        #: --environment files, applied to every case, in order.
        self.environments = list(environments)
        #: The cases (corpus.Template), sorted by name.
        self.templates = []
        #: Relative path -> kind (template, environment, sidecar, ...).
        self.kinds = {}
        #: Relative path -> parsed YAML, or None.
        self.bodies = {}
        #: Relative path -> [(how, relative target)].
        self.uses = {}
        #: Relative path -> why it is skipped.
        self.skipped = {}
        #: Suite -> case names it is limited to (SETTINGS_FILE).
        self.suites = {}
        #: Relative path -> why its YAML could not be read.
        self.unreadable = {}
        self.problems = []

    def users(self):
        """Relative path of each used file -> the files that use it."""
        found = {}
        for user, targets in self.uses.items():
            for _, target in targets:
                found.setdefault(target, set()).add(user)
        return {target: sorted(users) for target, users in found.items()}

    def to_dict(self):
        """What corpus.json holds: the cases (their file and
        environments), the helpers and their users, the skipped files."""
        return {
            'directory': self.directory,
            'environments': self.environments,
            'cases': {t.name: {
                'file': self.relative(t.path),
                'environments': [self.relative(p)
                                 for p in t.steps[0].environments],
                'uses': sorted({target for _, target in
                                self.uses.get(self.relative(t.path), [])}),
            } for t in self.templates},
            'helpers': dict(sorted(self.users().items())),
            'skipped': dict(sorted(self.skipped.items())),
            'suites': self.suites,
        }

    def relative(self, path):
        """A path as the report shows it: relative to the directory when
        inside it."""
        relative = os.path.relpath(os.path.abspath(path), self.directory)
        return path if relative.startswith(os.pardir) else \
            relative.replace(os.sep, '/')


def survey(directory, environments=()):
    """The Survey of a directory; raises CorpusError if it cannot run."""
    if not os.path.isdir(directory):
        raise corpus.CorpusError('template directory %s does not exist'
                                 % directory)
    found = Survey(directory, environments)
    for relative in _walk(found.directory):
        _classify(found, relative)
    for relative in list(found.kinds):
        _read_uses(found, relative)
    _use_global_environments(found)
    _check_cycles(found)
    roots = _roots(found)
    _check_roots(found, roots)
    if found.problems:
        raise corpus.CorpusError('template directory %s cannot be run: %s'
                                 % (directory, '; '.join(found.problems)))
    if not roots:
        raise corpus.CorpusError(
            'template directory %s holds no template (%s files that no '
            'other file uses)' % (directory,
                                  ', '.join(corpus.TEMPLATE_SUFFIXES)))
    names = {relative: corpus.stem(relative) for relative in roots}
    corpus.check_names(directory, roots)
    found.templates = sorted(
        (_template(found, relative, names[relative]) for relative in roots),
        key=lambda template: template.name)
    _skip_the_rest(found, roots)
    found.suites = _settings(found)
    return found


def cached_survey(directory, environments=()):
    """survey(directory, environments), made once per process while no
    file of the directory (or environment) changes: a run's suites all
    parametrise from the corpus, and each pytest worker collects them
    all. The Survey is shared: callers must not change it."""
    environments = tuple(environments)
    return _survey_of(directory, environments,
                      _fingerprint(directory, environments))


@functools.lru_cache(maxsize=4)
def _survey_of(directory, environments, fingerprint):
    return survey(directory, list(environments))


def _fingerprint(directory, environments):
    """Each file's relative path, size and modification time."""
    files = [os.path.join(directory, relative)
             for relative in _walk(directory)] + list(environments)
    return tuple((path,) + _stat(path) for path in files)


def _stat(path):
    try:
        status = os.stat(path)
    except OSError:
        return (None, None)
    return (status.st_size, status.st_mtime_ns)


def write(report_dir, found):
    """Write what discovery found (Survey.to_dict) into the report
    directory, atomically; returns its path."""
    path = os.path.join(report_dir, config.CORPUS_JSON)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(found.to_dict(), f, indent=1)
    os.replace(tmp, path)
    return path


def read(report_dir):
    """What write left in the report directory, or None."""
    try:
        with open(os.path.join(report_dir, config.CORPUS_JSON)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def remove(report_dir):
    """Forget an earlier run's corpus.json."""
    try:
        os.remove(os.path.join(report_dir, config.CORPUS_JSON))
    except FileNotFoundError:
        pass


def _walk(directory):
    for top, folders, files in os.walk(directory):
        folders[:] = sorted(f for f in folders if not f.startswith('.'))
        for name in sorted(files):
            if not name.startswith('.'):
                yield os.path.relpath(os.path.join(top, name),
                                      directory).replace(os.sep, '/')


def _absolute(found, relative):
    return os.path.join(found.directory, *relative.split('/'))


def _classify(found, relative):
    """Note what kind of file relative is, and its parsed YAML."""
    name = relative.rsplit('/', 1)[-1]
    if relative == config.SUITE_SETTINGS_FILE:
        kind = 'settings'
    elif name.endswith(corpus.LIFECYCLE_SUFFIX):
        kind = 'sidecar'
    elif name.endswith(ENV_SUFFIXES):
        kind = 'environment'
        _parse(found, relative)
    elif name.endswith(corpus.TEMPLATE_SUFFIXES):
        kind = _kind_of_yaml(found, relative)
    else:
        kind = 'data'
    found.kinds[relative] = kind


def _parse(found, relative):
    """The YAML of a file (noted in found.bodies), or None with the
    error noted in found.unreadable."""
    try:
        with open(_absolute(found, relative), 'rb') as f:
            body = corpus.load_yaml(f)
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        found.unreadable[relative] = 'not valid YAML: %s' % (
            ' '.join(str(error).split()))
        body = None
    found.bodies[relative] = body
    return body


def _kind_of_yaml(found, relative):
    body = _parse(found, relative)
    if relative in found.unreadable:
        return 'unreadable'
    if references.is_template_body(body):
        return 'template'
    if references.is_environment_body(body) or body is None:
        return 'environment'
    return 'other'


def _read_uses(found, relative):
    kind, body = found.kinds[relative], found.bodies.get(relative)
    if kind == 'template':
        named = references.template_uses(body)
        named += _sidecar_uses(found, relative)
    elif kind == 'environment' and isinstance(body, dict):
        named = references.environment_uses(body)
    else:
        return
    targets = []
    for how, value in named:
        target = _target(found, relative, how, value)
        if target is not None and target != relative or \
                not how.startswith(SIDECAR):
            targets.append((how, target))
    found.uses[relative] = targets


def _sidecar_uses(found, relative):
    """(how, path relative to the template) of what its sidecar names,
    and the environment beside it unless the sidecar names one."""
    path = _absolute(found, relative)
    try:
        lifecycle = corpus.read_lifecycle(path)
    except corpus.CorpusError:
        lifecycle = {}   # the template carries the error, if a root
    named = [(SIDECAR + where, value)
             for where, value in corpus.sidecar_paths(lifecycle)]
    beside = beside_environment(path)
    if beside and not lifecycle.get('environment'):
        named.append(('environment beside it', os.path.basename(beside)))
    return named


def beside_environment(template_path):
    """The environment file beside a template, or None."""
    directory, filename = os.path.split(template_path)
    for suffix in ENV_SUFFIXES:
        candidate = os.path.join(directory, corpus.stem(filename) + suffix)
        if os.path.isfile(candidate):
            return candidate
    return None


def _target(found, user, how, value):
    """The relative path a reference names; None if it names no file,
    or (a problem noted) if it is a URL or leaves the directory."""
    where = '%s uses %r (%s)' % (user, value, how)
    if references.is_url(value):
        found.problems.append('%s, a URL: only files inside the directory '
                              'are sent' % where)
        return None
    base = os.path.dirname(_absolute(found, user))
    target = os.path.normpath(os.path.join(base, value))
    root = os.path.realpath(found.directory)
    real = os.path.realpath(target)
    if os.path.commonpath([root, real]) != root:
        if not how.startswith(SIDECAR):   # check_sidecar_paths says it
            found.problems.append('%s, which resolves to %s, outside the '
                                  'directory' % (where, real))
        return None
    if not os.path.isfile(target):
        return None   # loading the template that uses it says so
    relative = os.path.relpath(target, found.directory).replace(os.sep, '/')
    if relative not in found.kinds:   # a hidden file
        _classify(found, relative)
        _read_uses(found, relative)
    return relative


def _use_global_environments(found):
    """The --environment files inside the directory are used by all."""
    for path in found.environments:
        relative = found.relative(path)
        if relative in found.kinds:
            found.uses.setdefault(GLOBAL_USER, []).append(
                ('--environment', relative))


def _check_cycles(found):
    """Note every cycle of references (sidecars' aside), once each."""
    state, seen_cycles = {}, set()

    def visit(node, trail):
        state[node] = 'open'
        for how, target in found.uses.get(node, []):
            if how.startswith(SIDECAR):
                continue
            if state.get(target) == 'open':
                cycle = trail[trail.index(target):] + [target]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    found.problems.append('a cycle of references: %s'
                                          % ' -> '.join(cycle))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 'done'

    for node in sorted(found.uses):
        if node not in state:
            visit(node, [node])


def _roots(found):
    """Templates no other file uses, and those whose sidecar says
    ``root: true``. Files with a template's suffix that nothing uses are
    roots too: check_roots refuses those that hold no template, a case
    carries the error of one whose YAML cannot be read."""
    used = set(found.users())
    roots = []
    for relative, kind in sorted(found.kinds.items()):
        if kind not in ('template', 'other', 'unreadable'):
            continue
        if relative not in used or (kind == 'template' and
                                    _declared_root(found, relative)):
            roots.append(relative)
    return roots


def _declared_root(found, relative):
    try:
        return bool(corpus.read_lifecycle(
            _absolute(found, relative)).get('root'))
    except corpus.CorpusError:
        return False


def _check_roots(found, roots):
    for relative in roots:
        kind = found.kinds[relative]
        if kind == 'other':
            found.problems.append(
                '%s is used by no file and is not a template (no %s) nor '
                'an environment' % (relative,
                                    ' or '.join(references.VERSION_KEYS)))


def _template(found, relative, name):
    """The case of a root; a root whose YAML cannot be read is one, its
    cases failing with the error (its references are unknown)."""
    path = _absolute(found, relative)
    if relative in found.unreadable:
        return corpus.Template(path, error='template %s: %s' % (
            path, found.unreadable[relative]), name=name)
    try:
        lifecycle = corpus.read_lifecycle(path)
    except corpus.CorpusError as error:
        return corpus.Template(path, error=str(error), name=name,
                               environments=found.environments)
    corpus.check_sidecar_paths(path, lifecycle, found.directory)
    beside = None if lifecycle.get('environment') else \
        beside_environment(path)
    return corpus.Template(path, lifecycle, name=name, beside=beside,
                           environments=found.environments)


def _skip_the_rest(found, roots):
    used = set(found.users())
    for relative, kind in found.kinds.items():
        if relative in roots or relative in used or \
                relative in found.skipped:
            continue
        why = _why_skipped(found, relative, kind, roots)
        if why:
            found.skipped[relative] = why


def _why_skipped(found, relative, kind, roots):
    """Why a file nothing uses is not run; None for the settings and
    the sidecars of cases, which are read."""
    if kind == 'settings':
        return None
    if kind == 'sidecar':
        return _why_sidecar_skipped(found, relative, roots)
    if kind == 'environment':
        return ('an environment no template uses (name it '
                '<template>.env.yaml beside its template or in a sidecar, '
                'or give it to --environment)%s'
                % ('; ' + found.unreadable[relative]
                   if relative in found.unreadable else ''))
    return 'not a template (%s) and used by no file' % (
        ', '.join(corpus.TEMPLATE_SUFFIXES))


def _why_sidecar_skipped(found, relative, roots):
    owner = relative[:-len(corpus.LIFECYCLE_SUFFIX)]
    for template in (owner + suffix for suffix in corpus.TEMPLATE_SUFFIXES):
        if template in roots:
            return None
        if found.kinds.get(template) == 'template':
            return ('the sidecar of %s, which another file uses, so it is '
                    'not run (root: true in this sidecar runs it too)'
                    % template)
    return 'a sidecar of no template'


def _settings(found):
    """Suite -> case names, from the directory's settings file."""
    path = os.path.join(found.directory, config.SUITE_SETTINGS_FILE)
    if not os.path.isfile(path):
        return {}
    where = 'template directory %s: %s' % (found.directory,
                                           config.SUITE_SETTINGS_FILE)
    try:
        with open(path) as f:
            settings = corpus.load_yaml(f) or {}
    except yaml.YAMLError as error:
        raise corpus.CorpusError('%s: not valid YAML: %s' % (where, error))
    if not isinstance(settings, dict) or set(settings) - set(SETTINGS_KEYS):
        raise corpus.CorpusError('%s: expected a mapping of %s to lists of '
                                 'case names' % (where,
                                                 ', '.join(SETTINGS_KEYS)))
    names = {template.name for template in found.templates}
    for suite, chosen in settings.items():
        if not isinstance(chosen, list):
            raise corpus.CorpusError('%s: %s must be a list of case names'
                                     % (where, suite))
        unknown = [str(name) for name in chosen if name not in names]
        if unknown:
            raise corpus.CorpusError('%s: %s: no case named %s'
                                     % (where, suite, ', '.join(unknown)))
    return {suite: list(chosen) for suite, chosen in settings.items()}


def discover(directory, environments=None):
    """The templates to run of a corpus directory, sorted by name.

    environments (default: the run spec's, run_spec.py) apply to
    every template. Raises CorpusError for a missing directory, one with
    no template, one that cannot be run (survey), for template
    files whose names collide or are not safe as case names
    (corpus.check_names), and for a sidecar path that leaves the directory
    (corpus.check_sidecar_paths). A sidecar broken otherwise does not stop
    discovery: its template carries the error instead.
    """
    if environments is None:
        environments = list(run_spec.current().environments)
    return survey(directory, environments).templates
