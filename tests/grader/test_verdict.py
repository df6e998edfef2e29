from grader import Verdict


def test_priority_order_is_the_documented_one():
    order = ["INTERNAL_ERROR", "TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED",
             "COMPILATION_ERROR", "RUNTIME_ERROR", "WRONG_ANSWER", "ACCEPTED"]
    assert sorted(Verdict, key=lambda v: -v.priority) == [Verdict(name) for name in order]


def test_worst_of_nothing_is_accepted():
    assert Verdict.worst([]) is Verdict.ACCEPTED
    assert Verdict.worst([Verdict.WRONG_ANSWER, Verdict.RUNTIME_ERROR]) is Verdict.RUNTIME_ERROR


def test_folder_names_map_to_verdicts():
    assert Verdict.from_folder("wrong_answer") is Verdict.WRONG_ANSWER
