#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mountkit.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: verify_report
short_description: Write mount verification results as JSON and JUnit XML, and summarise them
version_added: 0.1.0
description:
  - Takes the results of M(mountkit.aws.mount_flags) and M(mountkit.aws.io_semantics) checks, one item per
    host, mount and check, and writes them to O(dest) as C(<name>.json) and C(<name>.xml) (JUnit, one
    testcase per host, mount and check), so CI systems show each failed check.
  - Returns a readable summary table, as lines (RV(summary)) and as one text (RV(summary_text)) to print
    with M(ansible.builtin.debug) under C(callback_result_format = yaml), where it shows as an aligned block.
  - Usually run once on the controller at the end of a verification play.
author:
  - mountkit.aws maintainers (@mountkit)
options:
  results:
    description:
      - One item per host, mount and check.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Inventory name of the host.
        type: str
        required: true
      backend:
        description: Storage backend of the mount, for example V(s3fs), V(mountpoint_s3) or V(efs).
        type: str
        required: true
      path:
        description: Mount point.
        type: str
        required: true
      check:
        description: Name of the check, for example V(mount_flags) or V(io_semantics).
        type: str
        required: true
      status:
        description: Outcome of the check.
        type: str
        required: true
        choices: [pass, fail, skipped]
      detail:
        description: What was expected and found, for a failure; a short note otherwise.
        type: str
        default: ''
      details:
        description: Any further data, kept in the JSON report.
        type: raw
  dest:
    description:
      - Directory for the reports; created when missing.
    type: path
    required: true
  name:
    description:
      - Base name of the report files.
    type: str
    default: mountkit-verify
  fail_on_failures:
    description:
      - Fail after writing the reports when any check failed.
    type: bool
    default: true
notes:
  - Supports check mode by writing nothing and returning the summary.
  - Writing the report is output, not a change to a managed host, so the module never reports C(changed).
"""

EXAMPLES = r"""
- name: Write the verification report on the controller
  mountkit.aws.verify_report:
    results: "{{ verify_results }}"
    dest: "{{ playbook_dir }}/reports"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
summary:
  description: Table of the results, one line per host, mount and check, with a header line.
  returned: always
  type: list
  elements: str
summary_text:
  description:
    - RV(summary) as one text, one line per row, followed by a line with the counts per status.
    - Lines never end in blanks, so the YAML result format of the default callback prints it as a block.
  returned: always
  type: str
  sample: "host  backend  path      check        status  detail\nweb1  efs      /mnt/efs  mount_flags  pass    alive ok\n1 pass, 0 fail, 0 skipped"
counts:
  description: Number of checks per status.
  returned: always
  type: dict
  sample: {"pass": 5, "fail": 1, "skipped": 0}
failed_checks:
  description: The results whose status is V(fail).
  returned: always
  type: list
  elements: dict
failures:
  description: One line per failed check, naming its host, path and check, then its detail.
  returned: always
  type: list
  elements: str
  sample: ["web1 /mnt/media mount_flags: alive: /mnt/media is dead"]
json_path:
  description: Path of the JSON report.
  returned: unless check mode
  type: str
junit_path:
  description: Path of the JUnit XML report.
  returned: unless check mode
  type: str
"""

import json
import os
import time
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

RESULT_SPEC = dict(
    host=dict(type="str", required=True),
    backend=dict(type="str", required=True),
    path=dict(type="str", required=True),
    check=dict(type="str", required=True),
    status=dict(type="str", required=True, choices=["pass", "fail", "skipped"]),
    detail=dict(type="str", default=""),
    details=dict(type="raw"),
)


def summary_table(results):
    columns = ("host", "backend", "path", "check", "status")
    rows = [columns] + [tuple(str(item[c]) for c in columns) for item in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(rows):
        # Every column padded, so the details start in one column too.
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
        detail = results[index - 1]["detail"] if index else "detail"
        lines.append((line + "  " + detail).rstrip())
    return lines


def summary_text(results, counts):
    """The table as one text, and the counts; no line ends in blanks (YAML block style needs that)."""
    total = '%d pass, %d fail, %d skipped' % (counts['pass'], counts['fail'], counts['skipped'])
    lines = summary_table(results) + [total]
    return '\n'.join(line.rstrip() for line in lines)


def junit_tree(results, name):
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(sum(1 for r in results if r["status"] == "fail")),
        skipped=str(sum(1 for r in results if r["status"] == "skipped")),
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for item in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="%s.%s" % (item["host"], item["backend"]),
            name="%s %s" % (item["path"], item["check"]),
        )
        if item["status"] == "fail":
            failure = ET.SubElement(case, "failure", message=item["detail"] or "check failed")
            failure.text = json.dumps(item.get("details"), indent=2, sort_keys=True, default=str)
        elif item["status"] == "skipped":
            ET.SubElement(case, "skipped", message=item["detail"])
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.ElementTree(root)


def write_atomically(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.rename(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            results=dict(type="list", elements="dict", required=True, options=RESULT_SPEC),
            dest=dict(type="path", required=True),
            name=dict(type="str", default="mountkit-verify"),
            fail_on_failures=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    results = module.params["results"]
    name = module.params["name"]
    if not name or "/" in name:
        module.fail_json(msg="name must be a plain file name without '/', got %r" % name)

    counts = dict((status, 0) for status in ("pass", "fail", "skipped"))
    for item in results:
        counts[item["status"]] += 1
    failed_checks = [item for item in results if item["status"] == "fail"]
    failures = ["%s %s %s: %s" % (r["host"], r["path"], r["check"], r["detail"]) for r in failed_checks]
    output = dict(summary=summary_table(results), summary_text=summary_text(results, counts), counts=counts, failed_checks=failed_checks, failures=failures,
                  changed=False)

    if not module.check_mode:
        dest = module.params["dest"]
        try:
            os.makedirs(dest, exist_ok=True)
            json_path = os.path.join(dest, name + ".json")
            junit_path = os.path.join(dest, name + ".xml")
            report = dict(counts=counts, results=results)

            def write_json(path):
                with open(path, "w") as handle:
                    json.dump(report, handle, indent=2, sort_keys=True, default=str)

            write_atomically(json_path, write_json)
            write_atomically(junit_path, lambda path: junit_tree(results, name).write(path, encoding="utf-8", xml_declaration=True))
        except OSError as exc:
            module.fail_json(msg="cannot write the report to %s: %s" % (dest, exc), **output)
        output.update(json_path=json_path, junit_path=junit_path)

    if failed_checks and module.params["fail_on_failures"]:
        module.fail_json(msg="%d of %d checks failed: %s" % (len(failed_checks), len(results), "; ".join(failures)), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
