// simd: ibc-go v8.8.0's simulation app (ICS-20, interchain-account controller and host on
// CometBFT 0.38), built unchanged. Only the entry point lives here.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	"github.com/cosmos/ibc-go/v8/testing/simapp"
	"github.com/cosmos/ibc-go/v8/testing/simapp/simd/cmd"
)

func main() {
	root := cmd.NewRootCmd()
	if err := svrcmd.Execute(root, "", simapp.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, "simd:", err)
		os.Exit(1)
	}
}
