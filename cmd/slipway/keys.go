package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/trust"
)

func init() {
	parentShort["keys"] = "Signing keys for image signatures"
	register("keys", func(g *globals) *cobra.Command {
		var prefix string
		c := &cobra.Command{
			Use:   "generate",
			Short: "Create an ECDSA P-256 key pair (PREFIX.key, PREFIX.pub) for signing images",
			Long: `Create an ECDSA P-256 key pair, the kind cosign uses by default.

PREFIX.pub is a PEM "PUBLIC KEY", the same format as cosign.pub: list it in a
service's trust policy. PREFIX.key is an unencrypted PKCS #8 private key
(mode 0600): keep it in your CI secret store. Existing files are never
overwritten.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				k, err := trust.WriteKeyPair(prefix+".key", prefix+".pub")
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\nkey id %s\n", prefix, prefix, k.ID)
				return nil
			},
		}
		c.Flags().StringVar(&prefix, "output-key-prefix", "slipway", "path prefix of the key files")
		return c
	})
	register("keys", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "id FILE.pub...",
			Short: "Print the key id (hex SHA-256 of the DER public key) of PEM public keys",
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				for _, path := range args {
					k, err := trust.LoadPublicKey(path)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s  %s\n", k.ID, path)
				}
				return nil
			},
		}
	})
}
