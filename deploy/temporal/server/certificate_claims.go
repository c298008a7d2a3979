package main

import (
	"fmt"
	"os"
	"strings"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/primitives"
	"gopkg.in/yaml.v3"
)

// ClaimMapperName selects this claim mapper in the server's config
// (global.authorization.claimMapper; TEMPORAL_AUTH_CLAIM_MAPPER in the docker images).
const ClaimMapperName = "certificate"

// ClientsFileVariable names the file that lists the clients and their permissions.
const ClientsFileVariable = "TEMPORAL_CLIENTS_FILE"

// certificateClaimMapper gives a caller the permissions listed for the common name of the
// client certificate it presented and the frontend verified. Bearer tokens are ignored: who a
// caller is comes from its certificate alone, and an unknown or missing certificate gets no
// permission at all, so the default authorizer refuses it everything but health checks.
type certificateClaimMapper struct {
	clients map[string]*authorization.Claims
}

var _ authorization.ClaimMapper = (*certificateClaimMapper)(nil)

// NewCertificateClaimMapper reads the clients file: a YAML map from a certificate's common
// name to permissions in Temporal's JWT format, `<namespace>:<read|write|worker|admin>`
// (`temporal-system:<role>` for the whole cluster).
func NewCertificateClaimMapper(path string) (authorization.ClaimMapper, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var listed map[string][]string
	if err := yaml.Unmarshal(raw, &listed); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	clients := make(map[string]*authorization.Claims, len(listed))
	for name, permissions := range listed {
		claims, err := claimsFor(name, permissions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		clients[name] = claims
	}
	return &certificateClaimMapper{clients: clients}, nil
}

func claimsFor(name string, permissions []string) (*authorization.Claims, error) {
	claims := &authorization.Claims{Subject: name, Namespaces: map[string]authorization.Role{}}
	for _, permission := range permissions {
		namespace, role, ok := strings.Cut(permission, ":")
		granted := roles[strings.ToLower(role)]
		if !ok || namespace == "" || granted == authorization.RoleUndefined {
			// A typo must not start a server that quietly refuses (or allows) a client.
			return nil, fmt.Errorf("%s: %q is not <namespace>:<read|write|worker|admin>", name, permission)
		}
		if namespace == primitives.SystemLocalNamespace {
			claims.System |= granted
		} else {
			claims.Namespaces[namespace] |= granted
		}
	}
	return claims, nil
}

var roles = map[string]authorization.Role{
	"read":   authorization.RoleReader,
	"write":  authorization.RoleWriter,
	"worker": authorization.RoleWorker,
	"admin":  authorization.RoleAdmin,
}

// GetClaims maps the verified certificate's common name to its listed permissions.
func (m *certificateClaimMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	// TLSSubject is set only from a chain the frontend verified against its client CAs.
	if info == nil || info.TLSSubject == nil {
		return &authorization.Claims{}, nil
	}
	listed, ok := m.clients[info.TLSSubject.CommonName]
	if !ok {
		return &authorization.Claims{Subject: info.TLSSubject.CommonName}, nil
	}
	claims := *listed
	claims.Namespaces = make(map[string]authorization.Role, len(listed.Namespaces))
	for namespace, role := range listed.Namespaces {
		claims.Namespaces[namespace] = role
	}
	return &claims, nil
}
