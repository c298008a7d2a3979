// Command temporal-server is Temporal's own server with one addition: the `certificate` claim
// mapper, which knows each client by the common name of its client certificate (Temporal
// ships only a JWT claim mapper). It takes the stock `temporal-server` command line, so the
// official images' start scripts run it unchanged (deploy/temporal/server/Dockerfile).
package main

import (
	"fmt"
	"os"
	"path"

	"github.com/urfave/cli/v2"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/headers"
	"go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql" // PostgreSQL persistence
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"     // SQLite (tests)
	"go.temporal.io/server/temporal"
)

func main() {
	app := cli.NewApp()
	app.Name = "temporal-server"
	app.Usage = "Temporal server with certificate claims"
	app.Version = headers.ServerVersion
	app.Flags = []cli.Flag{
		&cli.StringFlag{Name: "root", Aliases: []string{"r"}, Value: ".", EnvVars: []string{config.EnvKeyRoot}},
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: "config", EnvVars: []string{config.EnvKeyConfigDir}},
		&cli.StringFlag{Name: "env", Aliases: []string{"e"}, Value: "development", EnvVars: []string{config.EnvKeyEnvironment}},
		&cli.StringFlag{Name: "zone", Aliases: []string{"az"}, EnvVars: []string{config.EnvKeyAvailabilityZone}},
	}
	app.Commands = []*cli.Command{{
		Name:  "start",
		Usage: "Start Temporal server",
		Flags: []cli.Flag{&cli.StringSliceFlag{
			Name:    "service",
			Aliases: []string{"svc"},
			Value:   cli.NewStringSlice(temporal.DefaultServices...),
		}},
		Action: start,
	}}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func start(c *cli.Context) error {
	configDir := path.Join(c.String("root"), c.String("config"))
	cfg, err := config.LoadConfig(c.String("env"), configDir, c.String("zone"))
	if err != nil {
		return fmt.Errorf("loading configuration: %w", err)
	}
	logger := log.NewZapLogger(log.BuildZapLogger(cfg.Log))
	dynamic := dynamicconfig.Client(dynamicconfig.NewNoopClient())
	if cfg.DynamicConfigClient != nil {
		dynamic, err = dynamicconfig.NewFileBasedClient(cfg.DynamicConfigClient, logger, temporal.InterruptCh())
		if err != nil {
			return fmt.Errorf("dynamic config: %w", err)
		}
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := claimMapperFor(&cfg.Global.Authorization, logger)
	if err != nil {
		return fmt.Errorf("claim mapper: %w", err)
	}
	server, err := temporal.NewServer(
		temporal.ForServices(c.StringSlice("service")),
		temporal.WithConfig(cfg),
		temporal.WithDynamicConfigClient(dynamic),
		temporal.WithLogger(logger),
		temporal.InterruptOn(temporal.InterruptCh()),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		return fmt.Errorf("creating the server: %w", err)
	}
	return server.Start()
}

// claimMapperFor is ours for `certificate`, Temporal's for anything else.
func claimMapperFor(cfg *config.Authorization, logger log.Logger) (authorization.ClaimMapper, error) {
	if cfg.ClaimMapper != ClaimMapperName {
		return authorization.GetClaimMapperFromConfig(cfg, logger)
	}
	if cfg.Authorizer != "default" {
		// Claims without an authorizer to read them would let every client do everything.
		return nil, fmt.Errorf("the %s claim mapper needs authorizer: default", ClaimMapperName)
	}
	file := os.Getenv(ClientsFileVariable)
	if file == "" {
		return nil, fmt.Errorf("set %s to the clients file", ClientsFileVariable)
	}
	return NewCertificateClaimMapper(file)
}
