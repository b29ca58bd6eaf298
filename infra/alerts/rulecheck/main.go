// Command rulecheck validates Prometheus rule files the way `promtool check rules` does, with
// Prometheus's own rule-file parser (model/rulefmt: YAML structure, every PromQL expression, label
// and annotation templates) — without building promtool, whose module pulls in every service
// discovery SDK. Prints "SUCCESS: N rules" per file, or each error, and exits 1 on any error.
package main

import (
	"fmt"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rulecheck RULE_FILE...")
		os.Exit(2)
	}
	failed := false
	for _, file := range os.Args[1:] {
		groups, errs := rulefmt.ParseFile(file, false, model.UTF8Validation, parser.NewParser(parser.Options{}), promslog.NewNopLogger())
		if len(errs) > 0 {
			failed = true
			for _, err := range errs { // rulefmt's errors start with the file's name
				fmt.Fprintln(os.Stderr, err)
			}
			continue
		}
		rules := 0
		for _, group := range groups.Groups {
			rules += len(group.Rules)
		}
		fmt.Printf("%s: SUCCESS: %d rules found\n", file, rules)
	}
	if failed {
		os.Exit(1)
	}
}
