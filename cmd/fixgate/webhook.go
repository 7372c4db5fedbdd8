package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/client"
	"fixgate/internal/fault"
	"fixgate/internal/webhook"
)

func init() { recordCommands = append(recordCommands, newWebhookCmd) }

var webhookFields = []string{"id", "url", "events", "description", "active", "allow_private", "revision", "created_by", "created_at"}

func newWebhookCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "webhook", Short: "Outgoing webhooks (admin; auditors may read): subscriptions, test pings, delivery log"}
	cmd.AddCommand(webhookCreateCmd(a), webhookUpdateCmd(a), webhookDeleteCmd(a), webhookPingCmd(a), webhookDeliveriesCmd(a),
		showCmd(a, "show WH-n", "Show a webhook subscription (the secret is never shown)", "/api/v1/webhooks/", webhookFields),
		listCmd(a, "List webhook subscriptions", "/api/v1/webhooks", nil, []string{"id", "url", "events", "active", "description"}))
	return cmd
}

func webhookCreateCmd(a *app) *cobra.Command {
	var secret, desc string
	var events []string
	var inactive, allowPrivate bool
	cmd := &cobra.Command{Use: "create URL --event NAME", Short: "Subscribe a URL to events; prints the generated signing secret once",
		Long: "Subscribes URL to the named events (problem.recurred …, or * for all). fixgate generates the HMAC\n" +
			"signing secret and prints it once: store it in the receiver now, it is never shown again.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("secret") && secret == "" {
				return fault.Field("--secret", "is empty: omit it to have a secret generated")
			}
			body := map[string]any{"url": args[0], "events": events, "description": desc, "active": !inactive, "allow_private": allowPrivate}
			if secret != "" {
				body["secret"] = secret
			}
			resp, err := a.call("POST", "/api/v1/webhooks", nil, body, nil)
			if err != nil {
				return err
			}
			return a.showSecret(resp, webhookFields, "")
		}}
	f := cmd.Flags()
	f.StringArrayVar(&events, "event", nil, "event name such as problem.recurred, or * for all (repeatable, required)")
	f.StringVar(&desc, "description", "", "what the subscription is for")
	f.StringVar(&secret, "secret", "", "use this signing secret (16–256 bytes) instead of a generated one; flags show in ps")
	f.BoolVar(&inactive, "inactive", false, "create it paused (no deliveries until updated with --active)")
	f.BoolVar(&allowPrivate, "allow-private", false, "allow private, loopback and link-local target addresses")
	cmd.MarkFlagRequired("event")
	return cmd
}

func webhookUpdateCmd(a *app) *cobra.Command {
	var target, desc, secret string
	var events []string
	var active, allowPrivate, rotate bool
	cmd := &cobra.Command{Use: "update WH-n", Short: "Change a subscription, pause or resume it, or rotate its secret (--rotate-secret prints the new one once)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"description": desc, "active": active, "allow_private": allowPrivate})
			if cmd.Flags().Changed("target") {
				body["url"] = target
			}
			if cmd.Flags().Changed("event") {
				body["events"] = events
			}
			shown := ""
			switch {
			case rotate && cmd.Flags().Changed("secret"):
				return fault.Field("usage", "pass --secret or --rotate-secret, not both")
			case rotate:
				secret = webhook.NewSecret()
				body["secret"], shown = secret, secret
			case cmd.Flags().Changed("secret"):
				if secret == "" {
					return fault.Field("--secret", "is empty: pass the new secret (16–256 bytes) or use --rotate-secret")
				}
				body["secret"] = secret
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			path := "/api/v1/webhooks/" + url.PathEscape(args[0])
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			resp, err := a.call("PATCH", path, nil, body, map[string]string{"If-Match": cur.ETag})
			if err != nil {
				return err
			}
			return a.showSecret(resp, webhookFields, shown)
		}}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "new receiver URL (--url is the server's)")
	f.StringArrayVar(&events, "event", nil, "events (replaces the list; repeatable)")
	f.StringVar(&desc, "description", "", "description")
	f.BoolVar(&active, "active", true, "deliver (--active=false pauses the subscription)")
	f.BoolVar(&allowPrivate, "allow-private", false, "allow private, loopback and link-local target addresses (--allow-private=false forbids them)")
	f.StringVar(&secret, "secret", "", "set this signing secret (16–256 bytes); flags show in ps, prefer --rotate-secret")
	f.BoolVar(&rotate, "rotate-secret", false, "generate a new signing secret and print it once")
	return cmd
}

// showSecret prints a webhook answer with its signing secret: the one the
// server generated (a "secret" field in the answer) or secret, when set.
// Without either it is a plain show.
func (a *app) showSecret(resp *client.Response, fields []string, secret string) error {
	var m map[string]any
	if err := resp.JSON(&m); err != nil {
		return err
	}
	if secret != "" {
		m["secret"] = secret
	}
	if _, ok := m["secret"]; !ok {
		return a.show(resp, fields)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fault.Wrap(err, "encode answer")
	}
	if err := a.show(&client.Response{Status: resp.Status, Body: raw, ETag: resp.ETag}, append(fields, "secret")); err != nil {
		return err
	}
	if a.output == "text" {
		fmt.Fprintln(a.out, "(the secret is shown once: store it with the receiver now)")
	}
	return nil
}

func webhookDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "delete WH-n", Short: "Delete a subscription (its delivery log stays)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/webhooks/" + url.PathEscape(args[0])
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			resp, err := a.call("DELETE", path, nil, nil, map[string]string{"If-Match": cur.ETag})
			if err != nil {
				return err
			}
			return a.show(resp, []string{"id", "deleted"})
		}}
}

func webhookPingCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "ping WH-n", Short: "Send a signed webhook.ping now (exit 0 the receiver answered 2xx, 1 it did not, 2 error)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/webhooks/"+url.PathEscape(args[0])+"/ping", nil, nil, nil)
			if err != nil {
				return err
			}
			if err := a.show(resp, []string{"ok", "status_code", "error", "duration_ms"}); err != nil {
				return err
			}
			var p struct {
				OK         bool   `json:"ok"`
				StatusCode int    `json:"status_code"`
				Error      string `json:"error"`
			}
			if err := resp.JSON(&p); err != nil {
				return err
			}
			if p.OK {
				return nil
			}
			why := p.Error
			if why == "" {
				why = fmt.Sprintf("HTTP %d", p.StatusCode)
			}
			return negative{msg: fmt.Sprintf("fixgate: %s: the receiver did not accept the ping: %s", args[0], strings.ReplaceAll(why, "\n", " "))}
		}}
}

func webhookDeliveriesCmd(a *app) *cobra.Command {
	var limit int
	var cursor string
	cmd := &cobra.Command{Use: "deliveries WH-n", Short: "A subscription's delivery log, oldest first (also of a deleted one)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/webhooks/"+url.PathEscape(args[0])+"/deliveries", listQuery(limit, cursor, nil), nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "at", "event", "event_id", "attempt", "status_code", "error", "duration_ms"})
		}}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after a previous page")
	return cmd
}
