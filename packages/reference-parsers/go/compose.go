package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// submissionRoot is where the loader believes the submission lives. Nothing exists there: every
// path the model names is resolved against it and then looked up in the request's files, never on disk.
const submissionRoot = "/kadai-submission"

// projectName is fixed: the project name is interpolated as ${COMPOSE_PROJECT_NAME} and kadai names
// resources itself. A top-level `name:` is accepted and has no effect.
const projectName = "kadai"

// noEnvironment answers every ${VAR} lookup that the submission's .env does not: not set.
func noEnvironment(string) (string, bool) { return "", false }

// inside maps a resolved path back to the submission's relative name, or reports it is outside.
func inside(p string) (string, bool) {
	if p == submissionRoot {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path.Clean(p), submissionRoot+"/")
	return rel, ok
}

// composeResult is the normalized model plus what the loader was told to leave undone, for the policy.
type composeResult struct {
	Project json.RawMessage `json:"project"`
	// Include lists top-level `include:` entries (never loaded: they could name host or remote files).
	Include []any `json:"include,omitempty"`
}

var errPath = regexp.MustCompile(`((?:services|networks|volumes|secrets|configs|models)(?:\.[A-Za-z0-9_.\-]+)?)`)

// loaderError keeps compose-go's message, without the virtual root, and the field path it names.
func loaderError(err error) error {
	message := strings.ReplaceAll(err.Error(), submissionRoot+"/", "")
	message = strings.ReplaceAll(message, submissionRoot, ".")
	out := &inputError{Message: message}
	if m := errPath.FindString(message); m != "" {
		for _, part := range strings.Split(strings.TrimSuffix(m, "."), ".") {
			out.Path = append(out.Path, part)
		}
	}
	return out
}

// extendsRefused is the policy's word on extends: it may name a file outside the submission (never read).
const extendsRefused = "extends is not supported: write the service out"

// loadCompose normalizes a Compose file with compose-go as Compose v2 would, except that nothing is
// read from outside the request: no include, no extends (both left for the policy to refuse), no
// env_file or .env except the submission's own, no variable from any process environment.
func loadCompose(file string, files map[string]string) (any, error) {
	content, ok := files[file]
	if !ok {
		return nil, &inputError{Message: fmt.Sprintf("no %s in the submission", file)}
	}
	// Compose v2 interpolates from the project directory's .env; here that is the only source.
	environment := types.Mapping{}
	if dotEnv, ok := files[".env"]; ok {
		parsed, err := dotenv.ParseWithLookup(strings.NewReader(dotEnv), noEnvironment)
		if err != nil {
			return nil, &inputError{Message: ".env: " + err.Error()}
		}
		environment = parsed
	}
	details := types.ConfigDetails{
		WorkingDir:  submissionRoot,
		ConfigFiles: []types.ConfigFile{{Filename: path.Join(submissionRoot, file), Content: []byte(content)}},
		Environment: environment,
	}
	opts := loader.ToOptions(&details, []func(*loader.Options){func(o *loader.Options) {
		o.SetProjectName(projectName, true)
		o.SkipInclude = true
		o.SkipExtends = true
		o.SkipResolveEnvironment = true // done below, from the request's files
		o.SkipResolveLabels = true      // label_file is refused by the policy
		o.Interpolate.LookupValue = environment.Resolve
	}})
	ctx := context.Background()
	model, err := loader.LoadModelWithContext(ctx, details, func(o *loader.Options) { *o = *opts })
	if err != nil {
		return nil, loaderError(err)
	}
	var include []any
	if raw, ok := model["include"].([]any); ok {
		include = raw
	}
	// Left unapplied, an extending service may lack what it would inherit and fail the loader's
	// consistency check with a confusing message: name the field instead (extends is refused anyway).
	if services, ok := model["services"].(map[string]any); ok {
		for name, service := range services {
			if def, ok := service.(map[string]any); ok && def["extends"] != nil {
				return nil, &inputError{Message: extendsRefused, Path: []any{"services", name, "extends"}}
			}
		}
	}
	project, err := loader.ModelToProject(model, opts, details)
	if err != nil {
		return nil, loaderError(err)
	}
	for name, service := range project.Services {
		if err := resolveEnvironment(name, &service, environment, files); err != nil {
			return nil, err
		}
		project.Services[name] = service
	}
	data, err := json.Marshal(project)
	if err != nil {
		return nil, err
	}
	data = bytes.ReplaceAll(data, []byte(`"`+submissionRoot+`/`), []byte(`"./`))
	data = bytes.ReplaceAll(data, []byte(`"`+submissionRoot+`"`), []byte(`"."`))
	return composeResult{Project: data, Include: include}, nil
}

// resolveEnvironment does what compose-go's WithServicesEnvironmentResolved does — values without
// `=` from the project environment, env_files in order, `environment:` over them — reading env
// files from the request only. An env_file outside the submission is the submission's error.
func resolveEnvironment(name string, service *types.ServiceConfig, projectEnv types.Mapping, files map[string]string) error {
	service.Environment = service.Environment.Resolve(projectEnv.Resolve)
	environment := service.Environment.ToMapping()
	for i, envFile := range service.EnvFiles {
		at := []any{"services", name, "env_file", i}
		rel, ok := inside(envFile.Path)
		if !ok {
			return &inputError{Message: fmt.Sprintf("env_file %s is outside the submission", envFile.Path), Path: at}
		}
		content, ok := files[rel]
		if !ok {
			if envFile.Required {
				return &inputError{Message: fmt.Sprintf("env_file %s is not in the submission", rel), Path: at}
			}
			continue
		}
		lookup := func(k string) (string, bool) {
			if v, ok := projectEnv.Resolve(k); ok {
				return v, true
			}
			if v, ok := service.Environment[k]; ok && v != nil {
				return *v, true
			}
			return "", false
		}
		if err := dotenv.ParseWithFormat(strings.NewReader(content), rel, environment, lookup, envFile.Format); err != nil {
			return &inputError{Message: fmt.Sprintf("env_file %s: %v", rel, err), Path: at}
		}
		service.EnvFiles[i].Path = rel
	}
	service.Environment = environment.ToMappingWithEquals().OverrideBy(service.Environment)
	return nil
}
