"""Where the run's CPU goes: /proc readings, groups, the summary."""

import json
import os
import shutil
import tempfile

import unittest

from heat_functional import performance
from heat_functional.results import htmlreport
from heat_functional.results import report
from heat_functional.results import table

TICKS = performance.CLOCK_TICKS


def stat_line(pid, comm, ppid, own, reaped=0.0, start=1000, rss_pages=256):
    """A /proc/<pid>/stat line (CPU in seconds, split over user/system)."""
    user, system = int(own * TICKS) // 2, int(own * TICKS) - (
        int(own * TICKS) // 2)
    fields = ['S', ppid, 0, 0, 0, 0, 0, 0, 0, 0, 0, user, system,
              int(reaped * TICKS), 0, 20, 0, 1, 0, start, 0, rss_pages]
    return '%d (%s) %s' % (pid, comm, ' '.join(str(f) for f in fields))


class FakeProc(object):
    """A /proc of a few processes, changed between samples."""

    def __init__(self):
        self.root = tempfile.mkdtemp()

    def put(self, pid, command, ppid, own, reaped=0.0, start=1000):
        folder = os.path.join(self.root, str(pid))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, 'stat'), 'w') as f:
            f.write(stat_line(pid, command.split()[0][:15], ppid, own,
                              reaped, start))
        with open(os.path.join(folder, 'cmdline'), 'wb') as f:
            f.write(command.replace(' ', '\0').encode() + b'\0')

    def remove(self, pid):
        shutil.rmtree(os.path.join(self.root, str(pid)))

    def close(self):
        shutil.rmtree(self.root)


CELL = ('python -m heat_functional.deployment.programs.heat_all --config-file '
        'w/legacy/heat.conf --state-file w/legacy/state.json')
KEYSTONE = ('python -m heat_functional.deployment.programs.keystone_server '
            '--plan p')
WORKER = '[pytest-xdist running] test_lifecycle.py::test_step'


class TestParseStat(unittest.TestCase):

    def test_a_command_name_with_spaces_and_parentheses(self):
        text = stat_line(42, 'a (b) c', 7, own=3.0, reaped=1.5, start=99,
                         rss_pages=10)
        process = performance.parse_stat(text)
        self.assertEqual((42, 7, 99), (process.pid, process.ppid,
                                       process.start))
        self.assertAlmostEqual(3.0, process.own, places=1)
        self.assertAlmostEqual(1.5, process.reaped, places=1)
        self.assertEqual(10 * performance.PAGE_SIZE, process.rss)


class TestClassify(unittest.TestCase):

    def test_parts_of_the_deployment(self):
        self.assertEqual('heat:legacy', performance.classify(CELL, None))
        self.assertEqual('keystone', performance.classify(KEYSTONE, None))
        self.assertEqual('postgresql', performance.classify(
            '/x/bin/postgres -D /x/data -p 5432', 'controller'))
        self.assertEqual('postgresql:heat_legacy', performance.classify(
            'postgres: postgres heat_legacy [local] idle', 'postgresql'))
        self.assertEqual('postgresql:keystone', performance.classify(
            'postgres: ks keystone 127.0.0.1(5123) SELECT', 'postgresql'))
        self.assertEqual('postgresql', performance.classify(
            'postgres: checkpointer', 'postgresql'))
        self.assertEqual('rabbitmq', performance.classify(
            '/usr/lib/erlang/erts/bin/beam.smp -- -root /usr/lib/erlang',
            'controller'))
        self.assertEqual('heat:flip-on', performance.classify(
            '/v/bin/heat-engine --config-file w/flip-on/heat.conf '
            '--config-file w/flip-on/engine-1.conf', 'controller'))

    def test_the_harness_reads_are_the_harness_s(self):
        group = performance.classify(
            'postgres: heat_functional_reader heat_legacy [local] idle',
            'postgresql')
        self.assertEqual(performance.HARNESS_READS, group)
        self.assertEqual('harness', performance.role(group))

    def test_workers_are_the_controllers_pytest_children(self):
        self.assertEqual('workers', performance.classify(WORKER,
                                                         'controller'))
        self.assertIsNone(performance.classify(WORKER, 'heat:legacy'))

    def test_heat_manage_run_by_a_cell_is_that_cells(self):
        command = 'heat-manage --config-file w/legacy/heat.conf migrate'
        self.assertIsNone(performance.classify(command, 'heat:legacy'))
        self.assertEqual('heat:legacy',
                         performance.classify(command, 'workers'))

    def test_anything_else_belongs_to_its_parent(self):
        self.assertIsNone(performance.classify('sleep 5', 'keystone'))


class TestSampler(unittest.TestCase):

    def setUp(self):
        super(TestSampler, self).setUp()
        self.proc = FakeProc()
        self.addCleanup(self.proc.close)
        self.now = [0.0]

    def sampler(self, roots=(100,)):
        return performance.Sampler(roots, interval=1, proc=self.proc.root,
                                   clock=lambda: self.now[0])

    def deployment(self):
        put = self.proc.put
        put(1, 'init', 0, own=500)  # not under the root: never counted
        put(100, 'python -m pytest', 1, own=10, reaped=300)
        put(101, CELL, 100, own=50)
        put(102, KEYSTONE, 100, own=20)
        put(103, '/x/bin/postgres -D /x/data', 100, own=2)
        put(104, 'postgres: postgres heat_legacy [local] idle', 103, own=6)
        put(105, 'postgres: postgres keystone [local] idle', 103, own=2)
        put(106, WORKER, 100, own=8)

    def test_groups_and_roles(self):
        self.deployment()
        sampler = self.sampler()
        sampler.sample()
        cpu = sampler.cpu_by_group()
        self.assertEqual({'controller': 10, 'heat:legacy': 50,
                          'keystone': 20, 'postgresql': 2,
                          'postgresql:heat_legacy': 6,
                          'postgresql:keystone': 2, 'workers': 8},
                         {g: round(s) for g, s in cpu.items()})

    def test_a_reaped_child_is_counted_once(self):
        self.deployment()
        sampler = self.sampler()
        sampler.sample()
        # The heat_legacy backend spends 1 s more and ends; the server
        # reaps it: its cutime now holds the backend's 7 s.
        self.proc.remove(104)
        self.proc.put(103, '/x/bin/postgres -D /x/data', 100, own=2,
                      reaped=7)
        sampler.sample()
        cpu = {g: round(s) for g, s in sampler.cpu_by_group().items()}
        self.assertEqual(6, cpu['postgresql:heat_legacy'])  # as last seen
        self.assertEqual(3, cpu['postgresql'])  # own 2 + the unseen 1 s
        self.assertEqual(10, cpu['controller'])  # own only, never reaped

    def test_a_process_that_ended_keeps_what_it_was_seen_spending(self):
        self.deployment()
        sampler = self.sampler()
        sampler.sample()
        self.proc.put(106, WORKER, 100, own=30)
        sampler.sample()
        self.proc.remove(106)
        sampler.sample()
        self.assertEqual(30, round(sampler.cpu_by_group()['workers']))

    def test_a_new_process_with_a_reused_pid_counts_apart(self):
        self.deployment()
        sampler = self.sampler()
        sampler.sample()
        self.proc.put(101, CELL, 100, own=50)
        sampler.sample()
        self.proc.put(101, CELL, 100, own=5, start=2000)  # a restart
        sampler.sample()
        self.assertEqual(55, round(sampler.cpu_by_group()['heat:legacy']))

    def test_peak_memory_per_group(self):
        self.deployment()
        sampler = self.sampler()
        sampler.sample()
        self.assertEqual(2 * 256 * performance.PAGE_SIZE,
                         sampler.peak_rss['postgresql:heat_legacy'] +
                         sampler.peak_rss['postgresql:keystone'])

    def test_the_command_and_its_pytest_are_both_controllers(self):
        self.proc.put(90, 'python -m heat_functional.cli gate', 1, own=1,
                      reaped=400)
        self.proc.put(100, 'python -m pytest', 90, own=10, reaped=300)
        self.proc.put(101, CELL, 100, own=50)
        sampler = self.sampler(roots=(90, 100))
        sampler.sample()
        self.assertEqual({'controller': 11, 'heat:legacy': 50},
                         {g: round(s) for g, s in
                          sampler.cpu_by_group().items()})


class TestSummary(unittest.TestCase):

    def sampler(self, cpu, wall):
        sampler = performance.Sampler([], clock=lambda: wall)
        sampler.started, sampler.ended = 0.0, wall
        for n, (group, seconds) in enumerate(cpu.items()):
            sampler.groups[(n, 0)] = group
            sampler.cpu[(n, 0)] = seconds
        return sampler

    def test_shares_and_the_efficiency_ratio(self):
        measured = performance.summary(self.sampler({
            'heat:legacy': 300.0, 'heat:convergence': 200.0,
            'postgresql': 40.0, 'postgresql:heat_legacy': 30.0,
            'postgresql:keystone': 10.0, 'keystone': 50.0,
            'workers': 40.0, 'controller': 10.0, 'rabbitmq': 20.0},
            wall=400.0), cores=2)
        # The server's 40 s divided 3:1 between the two databases.
        self.assertEqual(60.0, measured['cpu_s']['postgresql:heat_legacy'])
        self.assertEqual(20.0, measured['cpu_s']['postgresql:keystone'])
        self.assertEqual(560.0, measured['heat_cpu_s'])
        self.assertEqual(120.0, measured['harness_cpu_s'])
        self.assertEqual(20.0, measured['other_cpu_s'])
        self.assertEqual(round(120 / 700, 3), measured['harness_cpu_share'])
        self.assertEqual(round(400 / (560 / 2), 2),
                         measured['efficiency_ratio'])

    def test_keystone_work_for_heat_counts_as_heats(self):
        tally = {'heat': {'requests': 90, 'seconds': 40.0, 'cpu_s': 30.0},
                 'harness': {'requests': 5, 'seconds': 3.0, 'cpu_s': 2.0},
                 'anonymous': {'requests': 9, 'seconds': 1.0, 'cpu_s': 8.0}}
        measured = performance.summary(self.sampler({
            'heat:legacy': 100.0, 'keystone': 50.0,
            'postgresql:keystone': 10.0, 'workers': 10.0}, wall=100.0),
            cores=2, keystone_tally=tally)
        cpu = measured['cpu_s']
        # Heat's 30 tallied seconds move; the rest (harness, anonymous,
        # keystone's start) stays the harness's.
        self.assertEqual(30.0, cpu['keystone-for-heat'])
        self.assertEqual(20.0, cpu['keystone'])
        # Heat asked for 30 of the 40 tallied seconds: 3/4 of the database.
        self.assertEqual(7.5, cpu['postgresql:keystone-for-heat'])
        self.assertEqual(2.5, cpu['postgresql:keystone'])
        self.assertEqual(137.5, measured['heat_cpu_s'])
        self.assertEqual(32.5, measured['harness_cpu_s'])
        self.assertEqual(round(32.5 / 170, 3),
                         measured['harness_cpu_share'])
        self.assertEqual(round(70 / 170, 3),
                         measured['harness_cpu_share_keystone_whole'])
        self.assertEqual(2.0, measured['efficiency_ratio_keystone_whole'])
        self.assertEqual(0.75,
                         measured['keystone_split']['heat_share_of_requests'])
        self.assertIn('for Heat', '\n'.join(performance.text_lines(measured)))
        self.assertIn('keystone-for-heat',
                      htmlreport._performance({'performance': measured}))

    def test_keystone_never_gives_heat_more_than_it_spent(self):
        measured = performance.summary(self.sampler({
            'heat:legacy': 100.0, 'keystone': 5.0}, wall=100.0), cores=2,
            keystone_tally={'heat': {'cpu_s': 9.0}})
        self.assertEqual(5.0, measured['cpu_s']['keystone-for-heat'])
        self.assertEqual(0.0, measured['cpu_s']['keystone'])

    def test_without_a_tally_keystone_is_the_harnesss(self):
        measured = performance.summary(self.sampler({
            'heat:legacy': 100.0, 'keystone': 50.0}, wall=100.0), cores=2)
        self.assertNotIn('keystone-for-heat', measured['cpu_s'])
        self.assertIsNone(measured['keystone_split'])
        self.assertEqual(measured['harness_cpu_share'],
                         measured['harness_cpu_share_keystone_whole'])

    def test_the_tally_file_is_found_in_the_description(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'tally.json')
            with open(path, 'w') as f:
                json.dump({'heat': {'cpu_s': 1.0}}, f)
            self.assertEqual({'heat': {'cpu_s': 1.0}},
                             performance.keystone_tally(
                                 {'keystone': {'tally_file': path}}))
            self.assertEqual({'heat': {'cpu_s': 1.0}},
                             performance.keystone_tally(
                                 {'started_by_harness': {
                                     'keystone_tally_file': path}}))
            self.assertIsNone(performance.keystone_tally(
                {'keystone': {'tally_file': path + '.gone'}}))
        self.assertIsNone(performance.keystone_tally(None))
        self.assertIsNone(performance.keystone_tally({'kind': 'external'}))

    def test_roles(self):
        self.assertEqual(
            ['heat', 'heat', 'harness', 'harness', 'harness', 'other'],
            [performance.role(g) for g in (
                'heat:flip-on', 'postgresql:heat_flip_on',
                'postgresql:keystone', 'postgresql:postgres', 'workers',
                'rabbitmq')])
        self.assertEqual(['heat', 'heat', 'harness'], [
            performance.role(g) for g in (
                'keystone-for-heat', 'postgresql:keystone-for-heat',
                'keystone')])

    def test_the_workers_own_word_replaces_the_sample(self):
        measured = performance.summary(self.sampler(
            {'heat:legacy': 100.0, 'workers': 5.0}, wall=60.0), cores=2,
            worker_usage=7.5)
        self.assertEqual(7.5, measured['cpu_s']['workers'])

    def test_without_heat_on_this_machine_there_is_no_ratio(self):
        measured = performance.summary(self.sampler(
            {'workers': 5.0, 'controller': 1.0}, wall=60.0), cores=2)
        self.assertIsNone(measured['efficiency_ratio'])
        self.assertEqual(1.0, measured['harness_cpu_share'])
        self.assertIn('no Heat process',
                      '\n'.join(performance.text_lines(measured)))

    def test_shown_in_the_table_and_the_page(self):
        measured = performance.summary(self.sampler(
            {'heat:legacy': 100.0, 'keystone': 25.0}, wall=80.0), cores=2)
        line = performance.text_lines(measured)[0]
        self.assertIn('harness 25 s (20.0 %', line)
        self.assertIn('efficiency ratio 1.6', line)
        page = htmlreport._performance({'performance': measured})
        self.assertIn('performance-table', page)
        self.assertIn('heat:legacy', page)


def case(template, scenario, path, seconds, repetition=None):
    return {'template': template, 'scenario': scenario, 'path': path,
            'duration_s': seconds, 'repetition': repetition}


class TestTimings(unittest.TestCase):

    def test_the_ratio_is_over_paired_cases_only(self):
        cases = [case('a', 'lifecycle/create', 'legacy', 10.0),
                 case('a', 'lifecycle/create', 'convergence', 5.0),
                 case('a', 'migrate/migrate', 'legacy', 100.0),
                 case('b', 'flip/create', 'flip-on', 7.0)]
        measured = report.timings(cases, ['convergence', 'legacy'])
        self.assertEqual(1, measured['paired']['pairs'])
        self.assertEqual({'legacy': 10.0, 'convergence': 5.0},
                         measured['paired']['case_time_s'])
        self.assertEqual(0.5, measured['paired']['ratio'])
        self.assertEqual(2, measured['single_path']['cases'])
        self.assertEqual({'flip-on': 7.0, 'legacy': 100.0},
                         measured['single_path']['case_time_s'])
        line = table.timing_lines({'timings': measured,
                                   'paths': ['convergence', 'legacy']})[0]
        self.assertIn('convergence/legacy ratio 0.5', line)
        self.assertIn('2 single-path cases apart', line)

    def test_repetitions_pair_with_their_own(self):
        cases = [case('a', 'lifecycle/create', 'legacy', 10.0, 1),
                 case('a', 'lifecycle/create', 'convergence', 4.0, 1),
                 case('a', 'lifecycle/create', 'legacy', 8.0, 2)]
        measured = report.timings(cases, ['legacy', 'convergence'])
        self.assertEqual(1, measured['paired']['pairs'])
        self.assertEqual(0.4, measured['paired']['ratio'])
        self.assertEqual({'legacy': 8.0},
                         measured['single_path']['case_time_s'])

    def test_one_path_has_no_ratio(self):
        measured = report.timings([case('a', 'lifecycle/create', 'legacy',
                                        3.0)], ['legacy'])
        self.assertEqual(0, measured['paired']['pairs'])
        self.assertIsNone(measured['paired']['ratio'])
        self.assertEqual([], table.timing_lines({'timings': measured,
                                                 'paths': ['legacy']}))
