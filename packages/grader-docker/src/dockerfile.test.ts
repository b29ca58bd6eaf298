import { dockerfileFacts, normalizeImageRef } from './dockerfile';

describe('dockerfileFacts', () => {
  it('reads stages, the final base image and the CMD form', () => {
    const facts = dockerfileFacts(`# build
FROM golang:1.19 as builder
WORKDIR /app
COPY . .
RUN go build \\
    -o myapp .
FROM alpine:latest
COPY --from=builder /app/myapp .
CMD ["./myapp"]
`);
    expect(facts.stages.map((s) => s.from)).toEqual(['golang:1.19', 'alpine:latest']);
    expect(facts.stages[0]?.name).toBe('builder');
    expect(facts.baseImage).toBe('alpine:latest');
    expect(facts.cmd).toEqual({ form: 'exec', value: ['./myapp'], line: 9 });
    expect(facts.copiesFromStage).toBe(true);
  });
  it('follows FROM <stage> back to a real image and sees shell form', () => {
    const facts = dockerfileFacts('FROM python:3.10-slim AS base\nFROM base\nCMD python app.py\n');
    expect(facts.baseImage).toBe('python:3.10-slim');
    expect(facts.cmd?.form).toBe('shell');
    expect(dockerfileFacts('FROM x\nCMD [python, app.py]\n').cmd?.form).toBe('shell');
  });
});

describe('normalizeImageRef', () => {
  it('treats Docker Hub spellings and a missing tag alike', () => {
    expect(normalizeImageRef('nginx')).toBe('nginx:latest');
    expect(normalizeImageRef('docker.io/library/nginx:1.21')).toBe('nginx:1.21');
    expect(normalizeImageRef('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
  });
});
