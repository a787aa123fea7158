/**
 * Tests see the same environment on a laptop and on a GitHub Actions runner: the variables that
 * switch fleetplay's output to Actions mode (workflow-command annotations) are removed here;
 * a test that wants that mode passes them explicitly (env options, a child process's env).
 */
delete process.env.GITHUB_ACTIONS;
delete process.env.GITHUB_WORKSPACE;
