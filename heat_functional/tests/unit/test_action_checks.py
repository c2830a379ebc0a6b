"""Unit tests of heat_functional.action_checks: for each action, what a
working Heat leaves passes, and what a Heat that answered the action but
did nothing for it leaves is rejected."""

from heat_functional import action_checks as checks

WHERE = 'step of t on legacy'


def resource(status, physical_id='same', kind='OS::Heat::TestResource'):
    return {'type': kind, 'status': status, 'physical_id': physical_id}


# -- suspend, resume, check, snapshot, adopt -------------------------------
def suspended():
    """What a working suspend leaves: a provider resource whose nested
    stack and resource are suspended too."""
    done = ['SUSPEND_IN_PROGRESS', 'SUSPEND_COMPLETE']
    return {'stack': 'SUSPEND_COMPLETE',
            'resources': {'pair': resource('SUSPEND_COMPLETE'),
                          'pair/one': resource('SUSPEND_COMPLETE')},
            'nested': ['pair'],
            'events': {'<stack>': done, 'pair': done, 'pair/<stack>': done,
                       'pair/one': done}}


def test_a_suspend_that_reached_every_resource_passes():
    assert checks.everywhere_problems('SUSPEND', suspended(), WHERE) == []


def test_a_suspend_that_only_set_the_stacks_status_is_rejected():
    observed = suspended()
    observed['resources'] = {name: resource('CREATE_COMPLETE')
                             for name in observed['resources']}
    observed['events'] = {'<stack>': observed['events']['<stack>']}
    problems = checks.everywhere_problems('SUSPEND', observed, WHERE)
    assert len(problems) == 3
    assert 'pair is CREATE_COMPLETE, its last event of the step none' \
        in problems[0]
    assert 'pair/one is CREATE_COMPLETE' in problems[1]
    assert 'nested stack pair has no SUSPEND_COMPLETE event' in problems[2]


def test_an_action_without_the_stacks_own_events_is_rejected():
    observed = suspended()
    observed['events']['<stack>'] = []
    assert checks.everywhere_problems('SUSPEND', observed, WHERE) == [
        "step of t on legacy: the stack's own events of the step are none, "
        "not SUSPEND_IN_PROGRESS, SUSPEND_COMPLETE"]


def test_a_check_without_in_progress_event_passes_but_not_a_skipped_one():
    """A resource without handle_check only gets CHECK_COMPLETE
    (Resource.check); one with no CHECK event was not checked."""
    observed = {'stack': 'CHECK_COMPLETE',
                'resources': {'a': resource('CHECK_COMPLETE'),
                              'b': resource('CHECK_COMPLETE')},
                'nested': [],
                'events': {'<stack>': ['CHECK_IN_PROGRESS', 'CHECK_COMPLETE'],
                           'a': ['CHECK_COMPLETE']}}
    assert checks.everywhere_problems('CHECK', observed, WHERE) == [
        'step of t on legacy: b is CHECK_COMPLETE, its last event of the '
        'step none; CHECK reaches every resource']


def test_a_snapshot_is_checked_on_the_top_level_only():
    observed = {'stack': 'SNAPSHOT_COMPLETE',
                'resources': {'pair': resource('SNAPSHOT_COMPLETE'),
                              'pair/one': resource('CREATE_COMPLETE')},
                'nested': ['pair'],
                'events': {'<stack>': ['SNAPSHOT_IN_PROGRESS',
                                       'SNAPSHOT_COMPLETE'],
                           'pair': ['SNAPSHOT_COMPLETE']}}
    assert checks.everywhere_problems('SNAPSHOT', observed, WHERE,
                                      nested=False) == []
    assert checks.everywhere_problems('SNAPSHOT', observed, WHERE)


# -- snapshot data -----------------------------------------------------------
TEMPLATE = {'heat_template_version': '2021-04-16',
            'resources': {'a': {'type': 'OS::Heat::None'}}}


def test_a_snapshot_holding_the_stack_passes_and_an_empty_one_does_not():
    data = {'template': TEMPLATE, 'resources': {
        'a': {'resource_id': 'id-a'}, 'b': {'resource_id': None}}}
    ids = {'a': 'id-a', 'b': None, 'a/x': 'id-x'}
    assert checks.snapshot_problems(data, TEMPLATE, ids, WHERE) == []
    problems = checks.snapshot_problems({}, TEMPLATE, ids, WHERE)
    assert problems == [
        "step of t on legacy: the snapshot's template is not the stack's",
        'step of t on legacy: the snapshot does not hold a',
        'step of t on legacy: the snapshot does not hold b']
    data['resources']['a']['resource_id'] = 'other'
    assert checks.snapshot_problems(data, TEMPLATE, ids, WHERE) == [
        'step of t on legacy: the snapshot holds a as other, the stack as '
        'id-a']


# -- the change and the restore ----------------------------------------------
MARKER = 'heat_functional_after_snapshot'
PARAMETER = MARKER + '_value'


def at_snapshot():
    return checks.State(
        {'value': 'v1'}, {'value': 'v1', 'OS::stack_id': 'x'},
        {'kept': 'k1', 'swapped': 's1', 'in_place': 'p1', 'gone': 'g1',
         'group': 'n1', 'group/abcdefghijkl': 'm1'})


def after_change():
    return checks.State(
        {'value': 'v2', MARKER: 'after-snapshot'},
        {'value': 'v2', PARAMETER: 'after-snapshot', 'OS::stack_id': 'x'},
        {'kept': 'k1', 'swapped': 's2', 'in_place': 'p2', 'group': 'n1',
         'group/mnopqrstuvwx': 'm2', MARKER: 'marker'})


def test_pseudo_parameters_are_not_part_of_a_state():
    assert at_snapshot().parameters == {'value': 'v1'}


def test_the_change_is_recorded_and_must_be_visible():
    assert checks.changed(at_snapshot(), after_change()) == {
        'outputs': [MARKER, 'value'],
        'parameters': [PARAMETER, 'value'],
        'resources': [['gone', 'removed'], ['group', 'kept'],
                      ['group/#', 'replaced'], ['heat_functional_after_'
                                                'snapshot', 'added'],
                      ['in_place', 'replaced'], ['kept', 'kept'],
                      ['swapped', 'replaced']]}
    assert checks.change_problems(after_change(), PARAMETER, MARKER,
                                  'after-snapshot', WHERE) == []


def test_a_change_that_changed_nothing_is_rejected():
    problems = checks.change_problems(at_snapshot(), PARAMETER, MARKER,
                                      'after-snapshot', WHERE)
    assert len(problems) == 3
    assert 'parameter %s is ' % PARAMETER in problems[0]
    assert 'resource %s was not made' % MARKER in problems[1]
    assert 'output %s is ' % MARKER in problems[2]


def working_restore():
    """swapped replaced again, in_place updated back (same id as after
    the change, with events), gone made again, the member replaced
    again, the marker removed."""
    return checks.State(
        {'value': 'v1'}, {'value': 'v1'},
        {'kept': 'k1', 'swapped': 's3', 'in_place': 'p2', 'gone': 'g3',
         'group': 'n1', 'group/yzabcdefghij': 'm3'})


RESTORE_EVENTS = {'<stack>': ['RESTORE_IN_PROGRESS', 'RESTORE_COMPLETE'],
                  'in_place': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']}


def test_a_working_restore_passes_and_is_recorded():
    record = checks.restored(at_snapshot(), after_change(),
                             working_restore(), RESTORE_EVENTS)
    assert record == {
        'outputs': [], 'parameters': [],
        'resources': [['gone', 'back'], ['group', 'as at snapshot'],
                      ['group/#', 'replaced again'],
                      [MARKER, 'removed'],
                      ['in_place', 'updated back'],
                      ['kept', 'as at snapshot'],
                      ['swapped', 'replaced again']]}
    assert checks.restore_problems(record, WHERE) == []


def test_a_restore_that_restores_nothing_is_rejected():
    """The legacy restore seen keeping the current parameters: the stack
    after the restore is the stack after the change, and the restore
    acted on no resource."""
    no_op = after_change()
    record = checks.restored(at_snapshot(), after_change(), no_op,
                             {'<stack>': RESTORE_EVENTS['<stack>']})
    problems = checks.restore_problems(record, WHERE)
    assert problems == [
        "step of t on legacy: outputs %s, value differ from the snapshot's"
        % MARKER,
        "step of t on legacy: parameters %s, value differ from the "
        "snapshot's" % PARAMETER,
        'step of t on legacy: resource gone: missing',
        'step of t on legacy: resource group/#: kept the change',
        'step of t on legacy: resource %s: left' % MARKER,
        'step of t on legacy: resource in_place: kept the change',
        'step of t on legacy: resource swapped: kept the change']


def test_a_restore_that_replaces_what_the_change_left_is_rejected():
    wild = working_restore()
    wild.physical_ids['kept'] = 'k9'
    wild.physical_ids['made'] = 'x'
    wild.physical_ids['group/qrstuvwxyzab'] = 'm4'
    record = checks.restored(at_snapshot(), after_change(), wild,
                             RESTORE_EVENTS)
    assert dict(map(tuple, record['resources']))['kept'] == \
        'replaced by the restore'
    assert checks.restore_problems(record, WHERE) == [
        'step of t on legacy: resource group/#: member count differs',
        'step of t on legacy: resource kept: replaced by the restore',
        'step of t on legacy: resource made: made by the restore']


def test_every_verdict_is_either_restored_or_not():
    assert not set(checks.RESTORED) & set(checks.NOT_RESTORED)


def test_generic_paths_hide_made_up_member_names():
    assert checks.generic('group/abcdefghijkl/x') == 'group/#/x'
    assert checks.generic('group/#3/x') == 'group/#/x'
    assert checks.generic('group/0/x') == 'group/0/x'


# -- previews and the PATCH ---------------------------------------------------
def test_a_create_preview_must_list_the_template_and_make_no_stack():
    preview = [{'resource_name': 'a'}, [{'resource_name': 'inner'}]]
    assert checks.preview_problems(preview, ['a', 'b', 'c'], ['a', 'b'], [],
                                   WHERE) == []
    assert checks.preview_problems([], ['a', 'b', 'c'], ['a', 'b'], ['id'],
                                   WHERE) == [
        "step of t on legacy: a stack of the preview's name exists: id",
        'step of t on legacy: the preview lists 0 resources; the template '
        'has 3, 2 of them without a condition']
    assert checks.preview_problems([{'resource_name': 'z'}], ['a'], [], [],
                                   WHERE) == [
        'step of t on legacy: the preview lists z, which the template does '
        'not have']


def quiet(stack='RESTORE_COMPLETE'):
    return {'stack': stack, 'events': {},
            'resources': {'a': resource('CREATE_COMPLETE'),
                          'b': resource('CREATE_COMPLETE')}}


def test_an_update_preview_must_sort_every_resource_and_change_nothing():
    changes = {'added': [], 'deleted': [], 'replaced': ['a'],
               'updated': ['b'], 'unchanged': []}
    assert checks.preview_update_problems(changes, ['a', 'b'], quiet(),
                                          quiet(), WHERE) == []
    busy = quiet('UPDATE_COMPLETE')
    busy['events'] = {'a': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']}
    busy['resources']['a']['physical_id'] = 'changed'
    assert checks.preview_update_problems({}, ['a', 'b'], quiet(), busy,
                                          WHERE) == [
        'step of t on legacy: the preview has a as nothing',
        'step of t on legacy: the preview has b as nothing',
        'step of t on legacy: the stack went from RESTORE_COMPLETE to '
        'UPDATE_COMPLETE',
        'step of t on legacy: the preview wrote events for a',
        'step of t on legacy: the preview changed the physical ids of a']


def test_a_resource_without_physical_id_is_not_taken_for_a_change():
    """observation._physical_change says ``new`` for a resource that had
    no physical id before; only ``changed``, or a resource that appeared
    or went, is a change."""
    before = quiet()
    after = quiet()
    after['resources']['a']['physical_id'] = 'new'
    changes = {'updated': ['a', 'b']}
    assert checks.preview_update_problems(changes, ['a', 'b'], before,
                                          after, WHERE) == []
    del after['resources']['b']
    after['resources']['c'] = resource('CREATE_COMPLETE', 'new')
    assert checks.preview_update_problems(changes, ['a', 'b'], before,
                                          after, WHERE) == [
        'step of t on legacy: the preview changed the physical ids of b, c']


def patched():
    return {'resources': {'r': resource('CREATE_COMPLETE', 'changed'),
                          'u': resource('UPDATE_COMPLETE'),
                          'n': resource('CREATE_COMPLETE'),
                          'new': resource('CREATE_COMPLETE', 'new')},
            'events': {'r': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
                       'u': ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
                       'new': ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']}}


PREVIEWED = {'added': ['new'], 'deleted': ['old'], 'replaced': ['r'],
             'updated': ['u'], 'unchanged': ['n']}


def test_a_patch_that_did_what_its_preview_said_passes():
    assert checks.patch_problems(PREVIEWED, patched(), WHERE) == []


def test_a_patch_that_left_out_what_its_preview_promised_is_rejected():
    nothing = {'resources': {name: resource('CREATE_COMPLETE')
                             for name in ('r', 'u', 'n', 'old')},
               'events': {}}
    assert checks.patch_problems(PREVIEWED, nothing, WHERE) == [
        'step of t on legacy: the preview said new would be added; it is '
        'absent',
        'step of t on legacy: the preview said old would be deleted; it is '
        'still there']


def test_replaced_and_updated_in_a_preview_are_only_an_upper_bound():
    """Heat's preview of a PATCH shows a resource that names another
    (a scaling policy naming its group) as replaced, and the update
    leaves it: seen on both paths."""
    left_alone = patched()
    left_alone['resources']['r']['physical_id'] = 'same'
    del left_alone['events']['r'], left_alone['events']['u']
    assert checks.patch_problems(PREVIEWED, left_alone, WHERE) == []


def test_an_unchanged_resource_without_physical_id_is_unchanged():
    """A resource without a physical id is always observed ``new``."""
    without_id = patched()
    without_id['resources']['n']['physical_id'] = 'new'
    assert checks.patch_problems(PREVIEWED, without_id, WHERE) == []


def test_an_unchanged_resource_the_patch_touched_is_rejected():
    touched = patched()
    touched['events']['n'] = ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    assert checks.patch_problems(PREVIEWED, touched, WHERE) == [
        'step of t on legacy: the preview said n would be unchanged; its '
        "physical id is same, its events ['UPDATE_IN_PROGRESS', "
        "'UPDATE_COMPLETE']"]
    touched['events']['n'] = []
    touched['resources']['n']['physical_id'] = 'changed'
    assert checks.patch_problems(PREVIEWED, touched, WHERE) == [
        'step of t on legacy: the preview said n would be unchanged; its '
        'physical id is changed, its events none']


def test_parameters_sent_must_show_as_text():
    shown = {'count': '5', 'name': 'x', 'on': 'true', 'list': 'a,b'}
    sent = {'count': 5, 'name': 'x', 'on': True, 'list': ['a', 'b']}
    assert checks.parameters_problems(sent, shown, WHERE) == []
    assert checks.parameters_problems(sent, {'count': '3', 'name': 'x',
                                             'on': 'False'}, WHERE) == [
        "step of t on legacy: parameter count is '3', 5 was sent",
        "step of t on legacy: parameter on is 'False', True was sent"]


# -- mark-unhealthy ----------------------------------------------------------
DEFINITIONS = {
    'a': {'type': 'OS::Heat::TestResource'},
    'b': {'type': 'OS::Heat::TestResource',
          'properties': {'value': {'get_attr': ['a', 'output']}}},
    'c': {'type': 'OS::Heat::TestResource', 'depends_on': ['b']},
    'd': {'type': 'OS::Heat::TestResource',
          'properties': {'value': 'a b c'}},
}


def test_dependents_are_those_that_name_the_resource_transitively():
    assert checks.dependents(DEFINITIONS, 'a') == ['b', 'c']
    assert checks.dependents(DEFINITIONS, 'd') == []


def marked_update():
    return {'resources': {'a': resource('CREATE_COMPLETE', 'changed'),
                          'a/inner': resource('CREATE_COMPLETE', 'changed'),
                          'b': resource('UPDATE_COMPLETE'),
                          'd': resource('CREATE_COMPLETE')},
            'events': {'a': ['CHECK_FAILED', 'CREATE_IN_PROGRESS',
                             'CREATE_COMPLETE']}}


def test_a_mark_then_an_update_that_replaced_it_alone_passes():
    assert checks.mark_unhealthy_problems('a', 'CHECK_FAILED',
                                          marked_update(), ['b'],
                                          WHERE) == []


def test_a_mark_that_did_nothing_is_rejected():
    observed = marked_update()
    observed['events'] = {}
    problems = checks.mark_unhealthy_problems('a', 'CREATE_COMPLETE',
                                              observed, ['b'], WHERE)
    assert problems == [
        'step of t on legacy: a is CREATE_COMPLETE once marked, not '
        'CHECK_FAILED',
        'step of t on legacy: the events of a start none, not CHECK_FAILED']


def test_an_update_that_replaced_more_than_the_marked_is_rejected():
    observed = marked_update()
    observed['resources']['b']['physical_id'] = 'new'   # it has no id
    assert checks.mark_unhealthy_problems('a', 'CHECK_FAILED', observed,
                                          [], WHERE) == []
    observed['resources']['d']['physical_id'] = 'changed'
    assert checks.mark_unhealthy_problems('a', 'CHECK_FAILED', observed,
                                          ['b'], WHERE) == [
        'step of t on legacy: d, which was not marked, has a changed '
        'physical id']


# -- abandon and adopt --------------------------------------------------
ABANDONED = {'resources': {
    'pair': {'resource_id': 'nested-1', 'type': 'files/pair.yaml',
             'resources': {'one': {'resource_id': 'one-1'}}},
    'value': {'resource_id': 'value-1'}}}
IDS = {'pair': 'nested-1', 'pair/one': 'one-1', 'value': 'value-1'}


def test_an_abandon_that_removed_the_stack_and_told_its_ids_passes():
    assert checks.abandon_problems(ABANDONED, IDS, None, WHERE) == []
    assert checks.abandon_problems(ABANDONED, IDS, 'DELETE_COMPLETE',
                                   WHERE) == []


def test_an_abandon_that_kept_the_stack_or_lost_its_ids_is_rejected():
    assert checks.abandon_problems({}, IDS, 'UPDATE_COMPLETE', WHERE) == [
        'step of t on legacy: the stack is still there, UPDATE_COMPLETE',
        'step of t on legacy: the abandon data lacks pair',
        'step of t on legacy: the abandon data lacks pair/one',
        'step of t on legacy: the abandon data lacks value']


def test_an_abandon_must_keep_the_stacks_it_made():
    assert checks.kept_problems({'remote': 'UPDATE_COMPLETE'}, WHERE) == []
    assert checks.kept_problems({'remote': None, 'other': 'DELETE_COMPLETE'},
                                WHERE) == [
        "step of t on legacy: other's stack is DELETE_COMPLETE after the "
        'abandon',
        "step of t on legacy: remote's stack is gone after the abandon"]


def test_an_adopt_that_brought_the_ids_back_passes():
    adopted = {'pair': 'nested-2', 'pair/one': 'one-1', 'value': 'value-1'}
    assert checks.adopt_problems(ABANDONED, adopted, {'o': 1}, {'o': 1},
                                 WHERE) == []


def test_an_adopt_that_made_new_resources_is_rejected():
    fresh = {'pair': 'nested-2', 'pair/one': 'one-2', 'value': 'value-2'}
    assert checks.adopt_problems(ABANDONED, fresh, {'o': 1}, {'o': None},
                                 WHERE) == [
        'step of t on legacy: pair/one was abandoned as one-1, adopted as '
        'one-2',
        'step of t on legacy: value was abandoned as value-1, adopted as '
        'value-2',
        "step of t on legacy: outputs o differ from the abandoned stack's"]


# -- reads ------------------------------------------------------------------
def expected_reads():
    return {'outputs': {'o': 'v'}, 'template': TEMPLATE,
            'parameters': {'count': 3}, 'files': ['file:///t/f.yaml'],
            'top_level': ['a'], 'nested_ids': ['n1'],
            'tags': ['hf', 'hf-run-<run>']}


def good_reads():
    return {'outputs': {'o': 'v'}, 'template': dict(TEMPLATE),
            'parameters': {'count': 3, 'other': 'x'},
            'files': ['file:///t/f.yaml'],
            'events': [('<stack>', 'CREATE_COMPLETE'),
                       ('a', 'CREATE_COMPLETE')],
            'listed_by_name': [True], 'nested_ids': ['n1'],
            'tags': ['hf', 'hf-run-<run>']}


def test_reads_that_answer_what_was_sent_pass():
    assert checks.reads_problems(good_reads(), expected_reads(), WHERE) == []


def test_reads_that_answer_nothing_are_rejected():
    empty = {'outputs': {}, 'template': {}, 'parameters': {}, 'files': [],
             'events': [], 'listed_by_name': [], 'nested_ids': [],
             'tags': []}
    problems = checks.reads_problems(empty, expected_reads(), WHERE)
    assert len(problems) == 9
    assert [p.split(': ', 1)[1].split(' ')[:3] for p in problems] == [
        ['the', 'outputs', 'shown'], ['the', 'template', 'shown'],
        ['the', 'environment', 'shows'], ['the', 'files', 'shown'],
        ['the', 'events', 'filtered'], ['no', 'CREATE_COMPLETE', 'event'],
        ['the', 'stack', 'listed'], ['the', 'stacks', 'listed'],
        ['the', 'tags', 'are']]


def test_reads_that_ignore_the_event_filter_are_rejected():
    read = good_reads()
    read['events'].append(('a', 'CREATE_IN_PROGRESS'))
    assert checks.reads_problems(read, expected_reads(), WHERE) == [
        'step of t on legacy: the events filtered on CREATE_COMPLETE are '
        'CREATE_COMPLETE, CREATE_IN_PROGRESS']


def test_a_nested_stacks_entry_holds_that_stacks_id():
    """The legacy engine snapshots and abandons a provider or group
    resource as its nested stack's own data (StackResource.
    prepare_abandon), whose id is the resource's physical id."""
    legacy = {'template': TEMPLATE, 'resources': {
        'a': {'id': 'nested-a', 'name': 'n', 'resources': {}}}}
    assert checks.snapshot_problems(legacy, TEMPLATE, {'a': 'nested-a'},
                                    WHERE) == []
    assert checks.abandon_problems(legacy, {'a': 'nested-a'}, None,
                                   WHERE) == []
    assert checks.saved_id({'id': 'x'}) is None
