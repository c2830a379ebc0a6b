"""The parity verdict: one test that passes only when the run passes.

It waits for the cases of the other tempest workers (this module sorts
after the scenarios' modules, so its own worker has run its share
first), builds the report as ``heat-functional gate`` does, writes it to
``[heat_functional] report_dir`` and fails with the reasons and every
difference beyond the allowances.
"""

import time

from tempest import config as tempest_config

from heat_functional.tempest_plugin import plan
from heat_functional.tempest_plugin import scenarios
from heat_functional.tempest_plugin import session
from heat_functional.tempest_plugin import target
from heat_functional.tempest_plugin import verdict

CONF = tempest_config.CONF


class ParityVerdict(scenarios.ScenarioTest):

    def test_parity_verdict(self):
        started = time.monotonic()
        section = CONF.heat_functional
        expected = plan.cases(scenarios.current_plan())
        self.deployment()
        directory = session.run_dir(section.report_dir)
        session.remove_stale(section.report_dir,
                             keep=session.run_id())
        missing = set(session.wait_for(
            directory, [t.case_id for t in expected],
            section.verdict_timeout, section.verdict_idle))
        built = verdict.judge(
            directory, section.report_dir, target.current_description(),
            scenarios.current_paths(),
            [t for t in expected if t.case_id in missing], started)
        if built['verdict'] != 'pass':
            self.fail(verdict.failure_message(built, section.report_dir))
