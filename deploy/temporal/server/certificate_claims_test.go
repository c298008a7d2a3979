package main

import (
	"context"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/server/common/authorization"
)

func mapperFrom(t *testing.T, clients string) authorization.ClaimMapper {
	t.Helper()
	file := filepath.Join(t.TempDir(), "clients.yaml")
	if err := os.WriteFile(file, []byte(clients), 0o600); err != nil {
		t.Fatal(err)
	}
	mapper, err := NewCertificateClaimMapper(file)
	if err != nil {
		t.Fatal(err)
	}
	return mapper
}

func allowed(t *testing.T, mapper authorization.ClaimMapper, subject *pkix.Name, api, namespace string) bool {
	t.Helper()
	claims, err := mapper.GetClaims(&authorization.AuthInfo{TLSSubject: subject, AuthToken: "Bearer forged"})
	if err != nil {
		t.Fatal(err)
	}
	target := &authorization.CallTarget{APIName: "/temporal.api.workflowservice.v1.WorkflowService/" + api, Namespace: namespace}
	result, err := authorization.NewDefaultAuthorizer().Authorize(context.Background(), claims, target)
	if err != nil {
		t.Fatal(err)
	}
	return result.Decision == authorization.DecisionAllow
}

const clients = `
safeguard-worker: [prevent:write]
temporal-ui: [temporal-system:read]
`

func TestEachCertificateGetsItsListedPermissionsAndNoMore(t *testing.T) {
	mapper := mapperFrom(t, clients)
	worker := &pkix.Name{CommonName: "safeguard-worker"}
	ui := &pkix.Name{CommonName: "temporal-ui"}
	stranger := &pkix.Name{CommonName: "someone-else"}
	cases := []struct {
		name      string
		subject   *pkix.Name
		api       string
		namespace string
		want      bool
	}{
		{"the worker polls its namespace", worker, "PollWorkflowTaskQueue", "prevent", true},
		{"the worker updates a case", worker, "UpdateWorkflowExecution", "prevent", true},
		{"the worker stays in its namespace", worker, "StartWorkflowExecution", "other", false},
		{"the worker administers nothing", worker, "RegisterNamespace", "prevent", false},
		{"the UI reads", ui, "GetWorkflowExecutionHistory", "prevent", true},
		{"the UI lists namespaces", ui, "ListNamespaces", "", true},
		{"the UI never writes", ui, "UpdateWorkflowExecution", "prevent", false},
		{"an unknown subject reads nothing", stranger, "DescribeNamespace", "prevent", false},
		{"no certificate writes nothing", nil, "UpdateWorkflowExecution", "prevent", false},
		{"no certificate still passes health checks", nil, "GetSystemInfo", "", true},
	}
	for _, c := range cases {
		if got := allowed(t, mapper, c.subject, c.api, c.namespace); got != c.want {
			t.Errorf("%s: allowed=%v", c.name, got)
		}
	}
}

func TestAMisspeltPermissionStopsTheServerFromStarting(t *testing.T) {
	for _, bad := range []string{"prevent:writer", "prevent", ":write", "prevent:"} {
		file := filepath.Join(t.TempDir(), "clients.yaml")
		if err := os.WriteFile(file, []byte("safeguard-worker: ["+bad+"]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := NewCertificateClaimMapper(file); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
