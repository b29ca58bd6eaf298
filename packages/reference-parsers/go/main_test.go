package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func compose(t *testing.T, files map[string]string) (map[string]any, []any, error) {
	t.Helper()
	out, err := loadCompose("compose.yaml", files)
	if err != nil {
		return nil, nil, err
	}
	res := out.(composeResult)
	var project map[string]any
	if err := json.Unmarshal(res.Project, &project); err != nil {
		t.Fatal(err)
	}
	return project, res.Include, nil
}

func service(t *testing.T, project map[string]any, name string) map[string]any {
	t.Helper()
	svc, ok := project["services"].(map[string]any)[name].(map[string]any)
	if !ok {
		t.Fatalf("no service %s in %v", name, project)
	}
	return svc
}

func inputErr(t *testing.T, err error) *inputError {
	t.Helper()
	var in *inputError
	if !errors.As(err, &in) {
		t.Fatalf("want an input error, got %v", err)
	}
	return in
}

// The host file these tests try to smuggle in: it exists on every Linux host.
const hostFile = "/etc/hostname"

func TestEnvFileNeverReadsTheHost(t *testing.T) {
	if _, err := os.Stat(hostFile); err != nil {
		t.Skip("no " + hostFile)
	}
	cases := map[string]string{
		"merge key":             "x-base: &base\n  env_file: " + hostFile + "\nservices:\n  web:\n    <<: *base\n    image: nginx\n",
		"interpolation default": "services:\n  web:\n    image: nginx\n    env_file: ${X:-" + hostFile + "}\n",
		"long syntax":           "services:\n  web:\n    image: nginx\n    env_file: [{path: ../../../../" + hostFile + ", required: false}]\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := compose(t, map[string]string{"compose.yaml": text})
			in := inputErr(t, err)
			if !strings.Contains(in.Message, "outside the submission") || len(in.Path) != 4 || in.Path[2] != "env_file" {
				t.Fatalf("got %+v", in)
			}
		})
	}
}

func TestEnvFileAndDotEnvComeFromTheSubmission(t *testing.T) {
	project, _, err := compose(t, map[string]string{
		"compose.yaml": "name: mine\nservices:\n  web:\n    image: nginx:${TAG}\n    env_file: [web.env, {path: optional.env, required: false}]\n    environment: [B=explicit, HOME, PATH]\n",
		"web.env":      "A=a\nB=file\nC=${TAG}\n",
		".env":         "TAG=1.25\nHOME=from-dotenv\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	web := service(t, project, "web")
	env := web["environment"].(map[string]any)
	if web["image"] != "nginx:1.25" || env["A"] != "a" || env["B"] != "explicit" || env["C"] != "1.25" || env["HOME"] != "from-dotenv" || env["PATH"] != nil {
		t.Fatalf("got image %v environment %v", web["image"], env)
	}
	if project["name"] != projectName {
		t.Fatalf("project name %v", project["name"])
	}
}

func TestNoVariableFromTheProcessEnvironment(t *testing.T) {
	t.Setenv("KADAI_SECRET", "leaked")
	project, _, err := compose(t, map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    environment:\n      A: ${KADAI_SECRET:-none}\n      KADAI_SECRET:\n"})
	if err != nil {
		t.Fatal(err)
	}
	env := service(t, project, "web")["environment"].(map[string]any)
	if env["A"] != "none" || env["KADAI_SECRET"] != nil {
		t.Fatalf("got %v", env)
	}
}

func TestIncludeIsLeftForThePolicy(t *testing.T) {
	project, include, err := compose(t, map[string]string{"compose.yaml": "include: [" + hostFile + ", https://example.com/c.yaml, other.yaml]\nservices:\n  web:\n    image: nginx\n", "other.yaml": "services: {x: {image: busybox}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(include) != 3 {
		t.Fatalf("include %v", include)
	}
	if _, loaded := project["services"].(map[string]any)["x"]; loaded {
		t.Fatal("an included file was loaded")
	}
}

func TestExtendsIsRefusedUnread(t *testing.T) {
	for _, ext := range []string{"{file: /etc/passwd, service: root}", "base"} {
		_, _, err := compose(t, map[string]string{"compose.yaml": "services:\n  base:\n    image: nginx\n  web:\n    extends: " + ext + "\n"})
		if in := inputErr(t, err); in.Message != extendsRefused || len(in.Path) != 3 || in.Path[1] != "web" {
			t.Fatalf("%s: got %+v", ext, in)
		}
	}
}

func TestMergeKeysReachTheModel(t *testing.T) {
	project, _, err := compose(t, map[string]string{"compose.yaml": "x-evil: &evil\n  privileged: true\n  volumes: [/:/host]\nservices:\n  web:\n    <<: *evil\n    image: nginx\n    build: ..\n"})
	if err != nil {
		t.Fatal(err)
	}
	web := service(t, project, "web")
	if web["privileged"] != true || web["volumes"].([]any)[0].(map[string]any)["type"] != "bind" || web["build"].(map[string]any)["context"] != "/" {
		t.Fatalf("got %v", web)
	}
}

func TestComposeErrorsNameTheField(t *testing.T) {
	_, _, err := compose(t, map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports: 8080\n"})
	in := inputErr(t, err)
	if strings.Join(toStrings(in.Path), ".") != "services.web.ports" || strings.Contains(in.Message, submissionRoot) {
		t.Fatalf("got %+v", in)
	}
}

func toStrings(in []any) (out []string) {
	for _, v := range in {
		out = append(out, v.(string))
	}
	return out
}

func dockerfile(t *testing.T, text string, args map[string]string) dockerfileResult {
	t.Helper()
	out, err := parseDockerfile(text, args)
	if err != nil {
		t.Fatal(err)
	}
	return out.(dockerfileResult)
}

func TestDockerfileBasesAreExpandedAsBuildKitDoes(t *testing.T) {
	text := "# syntax=docker/dockerfile:1\nARG BASE=kadai-other-web\nARG TAG\nFROM ${BASE}:${TAG:-latest} AS b\nFROM alpine AS final\nCOPY --from=b /a /a\nCOPY --from=kadai-x-web /b /b\nCOPY --from=0 /c /c\nRUN --mount=type=bind,from=kadai-y,target=/y ls\nRUN --network=host --security=insecure true\nCMD [\"./app\"]\n"
	got := dockerfile(t, text, nil)
	if got.Syntax == nil || got.Syntax.Value != "docker/dockerfile:1" || got.Syntax.Line != 1 {
		t.Fatalf("syntax %+v", got.Syntax)
	}
	if got.Stages[0].Base != "kadai-other-web:latest" || got.Stages[0].Line != 4 || got.Stages[0].FromStage != -1 {
		t.Fatalf("stage 0 %+v", got.Stages[0])
	}
	want := []source{
		{located{6}, "COPY", "b", 0},
		{located{7}, "COPY", "kadai-x-web", -1},
		{located{8}, "COPY", "0", 0},
		{located{9}, "RUN --mount", "kadai-y", -1},
	}
	if len(got.Sources) != len(want) {
		t.Fatalf("sources %+v", got.Sources)
	}
	for i := range want {
		if got.Sources[i] != want[i] {
			t.Fatalf("source %d: %+v, want %+v", i, got.Sources[i], want[i])
		}
	}
	if len(got.RunOptions) != 1 || got.RunOptions[0].Network != "host" || got.RunOptions[0].Security != "insecure" {
		t.Fatalf("run options %+v", got.RunOptions)
	}
	if got.BaseImage != "alpine" || got.Cmd == nil || got.Cmd.Form != "exec" || got.Cmd.Line != 11 {
		t.Fatalf("base %q cmd %+v", got.BaseImage, got.Cmd)
	}
	if withArg := dockerfile(t, text, map[string]string{"BASE": "python", "TAG": "3.12"}); withArg.Stages[0].Base != "python:3.12" {
		t.Fatalf("build args: %+v", withArg.Stages[0])
	}
}

func TestDockerfileHeredocsAreNotStages(t *testing.T) {
	got := dockerfile(t, "FROM alpine AS base\nRUN <<EOF\nFROM kadai-evil\nCMD x\nEOF\nFROM base\nCMD python app.py\n", nil)
	if len(got.Stages) != 2 || got.Stages[1].FromStage != 0 || got.BaseImage != "alpine" || got.Cmd.Form != "shell" || got.Cmd.Line != 7 {
		t.Fatalf("got %+v", got)
	}
}

func TestDockerfileErrorsNameTheLine(t *testing.T) {
	_, err := parseDockerfile("FROM alpine\nCOPY --frm=x a b\n", nil)
	if in := inputErr(t, err); in.Line != 2 {
		t.Fatalf("got %+v", in)
	}
	_, err = parseDockerfile("# only a comment\n", nil)
	inputErr(t, err)
	_, err = parseDockerfile("ARG B\nFROM ${B}\n", nil)
	if in := inputErr(t, err); in.Line != 2 {
		t.Fatalf("got %+v", in)
	}
}
