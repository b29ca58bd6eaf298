package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

type located struct {
	Line int `json:"line"`
}

type syntaxDirective struct {
	located
	Value string `json:"value"`
}

type stage struct {
	located
	Name string `json:"name,omitempty"`
	// Base is the FROM argument after BuildKit's expansion of global ARGs (build args over defaults).
	Base string `json:"base"`
	// Written is the FROM argument as written (`${BASE}`).
	Written  string `json:"written"`
	Platform string `json:"platform,omitempty"`
	// FromStage is the index of the earlier stage Base names, or -1 for an image.
	FromStage int `json:"fromStage"`
}

// source is something a stage reads besides its base: COPY/ADD --from, RUN --mount from=.
type source struct {
	located
	Instruction string `json:"instruction"`
	// From is the reference as BuildKit reads it; FromStage is the stage it names or -1 for an image.
	From      string `json:"from"`
	FromStage int    `json:"fromStage"`
}

type runOptions struct {
	located
	Network  string   `json:"network,omitempty"`
	Security string   `json:"security,omitempty"`
	Devices  []string `json:"devices,omitempty"`
}

// addSources are the sources of one ADD (a URL or git source is fetched by the builder).
type addSources struct {
	located
	Sources []string `json:"sources"`
}

type command struct {
	located
	Form  string   `json:"form"`
	Value []string `json:"value"`
}

type dockerfileResult struct {
	Syntax     *syntaxDirective `json:"syntax,omitempty"`
	Stages     []stage          `json:"stages"`
	Sources    []source         `json:"sources"`
	RunOptions []runOptions     `json:"runOptions"`
	Adds       []addSources     `json:"adds"`
	// BaseImage is the image the final stage rests on, following stage references.
	BaseImage  string   `json:"baseImage,omitempty"`
	Cmd        *command `json:"cmd,omitempty"`
	Entrypoint *command `json:"entrypoint,omitempty"`
}

func line(r []parser.Range) located {
	if len(r) == 0 {
		return located{Line: 1}
	}
	return located{Line: r[0].Start.Line}
}

// dockerfileError keeps BuildKit's message and the line it points at.
func dockerfileError(err error) error {
	out := &inputError{Message: err.Error()}
	var loc *parser.LocationError
	if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		out.Line = loc.Locations[0][0].Start.Line
		out.Message = loc.Unwrap().Error()
	}
	return out
}

// stageIndex is how BuildKit resolves a stage reference: a name (case-insensitive) or, for --from,
// an index; only stages before `before` count.
func stageIndex(ref string, stages []stage, before int, byIndex bool) int {
	if byIndex {
		if i, err := strconv.Atoi(ref); err == nil {
			if i >= 0 && i < before {
				return i
			}
			return -1
		}
	}
	for i := 0; i < before; i++ {
		if stages[i].Name != "" && strings.EqualFold(stages[i].Name, ref) {
			return i
		}
	}
	return -1
}

func shellForm(c instructions.ShellDependantCmdLine, r []parser.Range) *command {
	form := "exec"
	if c.PrependShell {
		form = "shell"
	}
	return &command{located: line(r), Form: form, Value: c.CmdLine}
}

// parseDockerfile reads a Dockerfile with BuildKit's parser and instructions, and resolves what
// BuildKit would resolve before building: the base of each stage (global ARGs, build args over
// their defaults, the platform args for linux/amd64) and where each --from points.
func parseDockerfile(text string, buildArgs map[string]string) (any, error) {
	out := dockerfileResult{Stages: []stage{}, Sources: []source{}, RunOptions: []runOptions{}, Adds: []addSources{}}
	if value, _, loc, ok := parser.DetectSyntax([]byte(text)); ok {
		out.Syntax = &syntaxDirective{located: line(loc), Value: value}
	}
	ast, err := parser.Parse(strings.NewReader(text))
	if err != nil {
		return nil, dockerfileError(err)
	}
	parsed, metaArgs, err := instructions.Parse(ast.AST, linter.New(&linter.Config{}))
	if err != nil {
		return nil, dockerfileError(err)
	}
	if len(parsed) == 0 {
		return nil, &inputError{Message: "a Dockerfile starts with FROM <image>", Line: 1}
	}
	lex := shell.NewLex(ast.EscapeToken)
	global, err := globalArgs(lex, metaArgs, buildArgs)
	if err != nil {
		return nil, err
	}
	for i, st := range parsed {
		match, err := lex.ProcessWordWithMatches(st.BaseName, shell.EnvsFromSlice(global))
		if err != nil {
			return nil, dockerfileError(parser.WithLocation(err, st.Location))
		}
		if match.Result == "" {
			return nil, &inputError{Message: "base name (" + st.BaseName + ") should not be blank", Line: line(st.Location).Line}
		}
		s := stage{located: line(st.Location), Name: st.Name, Base: match.Result, Written: st.BaseName, Platform: st.Platform}
		s.FromStage = stageIndex(s.Base, out.Stages, i, false)
		out.Stages = append(out.Stages, s)
		out.Cmd, out.Entrypoint = nil, nil
		for _, cmd := range st.Commands {
			at := cmd.(interface{ Location() []parser.Range }).Location()
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From != "" {
					out.Sources = append(out.Sources, source{located: line(at), Instruction: "COPY", From: c.From, FromStage: stageIndex(c.From, out.Stages, i, true)})
				}
			case *instructions.RunCommand:
				if err := c.Expand(func(word string) (string, error) {
					res, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(global))
					return res, err
				}); err != nil {
					return nil, dockerfileError(parser.WithLocation(err, at))
				}
				for _, m := range instructions.GetMounts(c) {
					if m.From != "" {
						out.Sources = append(out.Sources, source{located: line(at), Instruction: "RUN --mount", From: m.From, FromStage: stageIndex(m.From, out.Stages, i, true)})
					}
				}
				opts := runOptions{located: line(at)}
				if n := instructions.GetNetwork(c); n != instructions.NetworkDefault {
					opts.Network = n
				}
				if s := instructions.GetSecurity(c); s != instructions.SecuritySandbox {
					opts.Security = s
				}
				for _, d := range instructions.GetDevices(c) {
					opts.Devices = append(opts.Devices, d.Name)
				}
				if opts.Network != "" || opts.Security != "" || len(opts.Devices) > 0 {
					out.RunOptions = append(out.RunOptions, opts)
				}
			case *instructions.AddCommand:
				out.Adds = append(out.Adds, addSources{located: line(at), Sources: c.SourcePaths})
			case *instructions.CmdCommand:
				out.Cmd = shellForm(c.ShellDependantCmdLine, at)
			case *instructions.EntrypointCommand:
				out.Entrypoint = shellForm(c.ShellDependantCmdLine, at)
			}
		}
	}
	for hops, i := 0, len(out.Stages)-1; hops < len(out.Stages); hops++ {
		if out.Stages[i].FromStage < 0 {
			out.BaseImage = out.Stages[i].Base
			break
		}
		i = out.Stages[i].FromStage
	}
	return out, nil
}

// globalArgs is BuildKit's scope for FROM lines: the platform args, then each ARG before the first
// FROM with its build arg or, failing that, its default expanded in the scope so far.
func globalArgs(lex *shell.Lex, metaArgs []instructions.ArgCommand, buildArgs map[string]string) ([]string, error) {
	scope := map[string]string{
		"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDOSVERSION": "", "BUILDARCH": "amd64", "BUILDVARIANT": "",
		"TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETOSVERSION": "", "TARGETARCH": "amd64", "TARGETVARIANT": "", "TARGETSTAGE": "default",
	}
	order := []string{"BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE"}
	for _, k := range order {
		if v, ok := buildArgs[k]; ok {
			scope[k] = v
		}
	}
	env := func() []string {
		out := make([]string, 0, len(order))
		for _, k := range order {
			out = append(out, k+"="+scope[k])
		}
		return out
	}
	for _, cmd := range metaArgs {
		for _, kv := range cmd.Args {
			value, given := buildArgs[kv.Key]
			if !given {
				if kv.Value == nil {
					continue
				}
				res, err := lex.ProcessWordWithMatches(*kv.Value, shell.EnvsFromSlice(env()))
				if err != nil {
					return nil, dockerfileError(parser.WithLocation(err, cmd.Location()))
				}
				value = res.Result
			}
			if _, known := scope[kv.Key]; !known {
				order = append(order, kv.Key)
			}
			scope[kv.Key] = value
		}
	}
	return env(), nil
}
