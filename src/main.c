/* main.c - parses the command line and hands over to the console, the
 * batch front or the demo generator. */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "batch_recover.h"
#include "cancel.h"
#include "complete.h"
#include "conf.h"
#include "console.h"
#include "crashpoint.h"
#include "demo.h"
#include "i18n.h"
#include "log.h"
#include "paths.h"
#include "source.h"
#include "upkeep.h"
#include "worker.h"

static void usage(FILE *out)
{
	fputs(_("Usage: upkeep [OPTION]...                 open the console\n"
		"       upkeep --batch [--dry-run]         the policy run over every target\n"
		"       upkeep --batch COMMAND [ARG]...    run one command headless\n"
		"       upkeep --check-config              validate the configuration\n"
		"       upkeep --demo DIR                  create a self-contained demo in DIR\n"
		"       upkeep --list-targets              print the configured target names\n"
		"       upkeep --list-snapshots            print the snapshots (for completion)\n"
		"\n"), out);
	/* L10N: keep the command and option names; align the explanations. */
	fputs(_("Batch commands:\n"
		"  run [--dry-run]          the policy run (the default): check, back up when due,\n"
		"                           install what the policy allows, prune, drill when due\n"
		"  check [TARGET]...        list releases newer than the installed ones\n"
		"  adopt TARGET VERSION     record the version of an app installed before upkeep\n"
		"  backup TARGET [--note TEXT]        snapshot the target's tree into the archive\n"
		"  snapshots TARGET                   list the target's snapshots\n"
		"  restore TARGET SNAPSHOT [--path P]... [--keep-preserved]\n"
		"                                     restore a snapshot (or some paths) in place,\n"
		"                                     with snapshot, hooks, health check and rollback\n"
		"  restore TARGET SNAPSHOT --to DIR [PATH]... [--force]\n"
		"                                     write a snapshot (or some paths) into DIR\n"
		"  verify (SNAPSHOT | --all) [--read-data]\n"
		"                                     check the archive; --read-data re-hashes all data\n"
		"  files SNAPSHOT [PATH]              list a directory of a snapshot\n"
		"  pin SNAPSHOT | unpin SNAPSHOT      keep a snapshot from prune and forget, or not\n"
		"  forget SNAPSHOT --yes              delete a snapshot and reclaim its space\n"
		"  prune [TARGET] [--dry-run]         apply the targets' retention rules\n"
		"  diff SNAPSHOT (SNAPSHOT | --current)\n"
		"                                     added, removed and changed paths\n"
		"  export SNAPSHOT [--output FILE]    a snapshot as a pax tar stream (default: stdout)\n"
		"  repair --rebuild-index             rebuild the archive index from the archive files\n"
		"  install TARGET [VERSION] [--allow-downgrade] [--allow-moved-tag] [--force-drift]\n"
		"                                     install a release (default: the newest offered)\n"
		"                                     with snapshot, hooks, health check and rollback\n"
		"  drill TARGET                       restore the newest snapshot into a scratch\n"
		"                                     directory, compare, check and time it\n"
		"  recover                            finish or undo jobs whose process died\n"
		"                                     (also done when any command starts)\n"
		"\n"), out);
	fputs(_("Options:\n"
		"  -c, --config FILE        configuration file (default: $XDG_CONFIG_HOME/upkeep/upkeep.yaml,\n"
		"                           else /etc/upkeep/upkeep.yaml)\n"
		"  -b, --batch              run a batch command instead of the console\n"
		"      --json               batch output as one JSON object per line\n"
		"  -q, --quiet              errors only: no progress, confirmations or summary\n"
		"  -v, --verbose            every log line (steps included) on stderr too\n"
		"      --note TEXT          backup: a note kept with the snapshot\n"
		"      --to DIR             restore: the directory to write into\n"
		"      --force              restore: DIR may exist and hold files (they are replaced)\n"
		"      --path P             restore in place: only path P of the tree (repeatable)\n"
		"      --keep-preserved     restore in place: keep the live preserve: paths\n"
		"      --read-data          verify: re-read and re-hash every chunk\n"
		"      --all                verify: every snapshot\n"
		"      --yes                forget: really delete the snapshot\n"
		"      --dry-run            run, prune: show what would be done, change nothing\n"
		"      --current            diff: compare with the target's live tree\n"
		"      --output FILE        export: write the tar stream to FILE\n"
		"      --rebuild-index      repair: rebuild the archive index from the archive files\n"
		"      --allow-downgrade    install: allow a release older than the installed one\n"
		"                           or than the highest version ever installed\n"
		"      --allow-moved-tag    install: allow a release whose tag moved since first seen\n"
		"      --force-drift        install: overwrite files changed locally\n"
		"      --list-targets       print the names of the configured targets, one per line\n"
		"      --list-snapshots     print every snapshot: id, target, time, version, reason\n"
		"                           (tab-separated; changes nothing, for shell completion)\n"
		"      --ascii              draw the console with ASCII characters only\n"
		"      --no-color           no colours (also when NO_COLOR is set)\n"
		"      --list-crash-points  the points UPKEEP_CRASH_AT and UPKEEP_PAUSE_AT name (tests)\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n"
		"\n"), out);
	fputs(_("Exit status:\n"
		"  0    success; check: nothing newer\n"
		"  1    a target or job failed (the others are still reported)\n"
		"  2    usage or configuration error\n"
		"  3    the state database or a target is locked by another process\n"
		"  4    the state database is unusable (damaged, or from a newer upkeep)\n"
		"  5    adopt: the installed tree differs from the release;\n"
		"       install: files changed locally (see --force-drift)\n"
		"  6    install: failed after the switch began; the old release is back\n"
		"  7    install: the rollback failed or the old release is unhealthy too\n"
		"  8    install: refused by the signature policy (bad, unknown, expired or\n"
		"       missing signature, wrong tag) or because the tag moved\n"
		"  10   recover: a target holds neither the old nor the new tree (left untouched)\n"
		"  11   recover: rolled back, but a hook or the health check failed\n"
		"  13   restore: no such snapshot of the target, or a path not in it\n"
		"  14   cancelled by a signal: nothing half-done, a begun switch rolled back\n"
		"  100  check: updates are available\n"
		"  101  run: updates are pending that the policy did not allow\n"
		"  102  run, drill: a restore drill was more than 1.5 times slower than the last\n"), out);
}

/* One point a line: its name, a tab, what the process has done there. */
static void list_crash_points(void)
{
	for (size_t i = 0; i < crashpoint_count(); i++)
		printf("%s\t%s\n", crashpoint_name(i), crashpoint_what(i));
}

enum { OPT_JSON = 256, OPT_ASCII, OPT_NO_COLOR, OPT_CHECK_CONFIG, OPT_DEMO, OPT_NOTE, OPT_TO,
       OPT_FORCE, OPT_READ_DATA, OPT_ALL, OPT_ALLOW_DOWNGRADE, OPT_ALLOW_MOVED, OPT_FORCE_DRIFT,
       OPT_DRY_RUN, OPT_YES, OPT_CURRENT, OPT_OUTPUT, OPT_REBUILD_INDEX, OPT_LIST_CRASH_POINTS,
       OPT_LIST_TARGETS, OPT_LIST_SNAPSHOTS, OPT_PATH, OPT_KEEP_PRESERVED };

struct cli {
	const char *config;
	const char *demo_dir;
	bool batch, check_config, list_targets, list_snapshots;
	struct batch_options batch_opts;
	struct console_options console_opts;
};

static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "list-targets", no_argument, NULL, OPT_LIST_TARGETS },
		{ "list-snapshots", no_argument, NULL, OPT_LIST_SNAPSHOTS },
		{ "demo", required_argument, NULL, OPT_DEMO },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "read-data", no_argument, NULL, OPT_READ_DATA },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "allow-downgrade", no_argument, NULL, OPT_ALLOW_DOWNGRADE },
		{ "allow-moved-tag", no_argument, NULL, OPT_ALLOW_MOVED },
		{ "force-drift", no_argument, NULL, OPT_FORCE_DRIFT },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "current", no_argument, NULL, OPT_CURRENT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "rebuild-index", no_argument, NULL, OPT_REBUILD_INDEX },
		{ "list-crash-points", no_argument, NULL, OPT_LIST_CRASH_POINTS },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "keep-preserved", no_argument, NULL, OPT_KEEP_PRESERVED },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:bqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config = optarg; break;
		case 'b': cli->batch = true; break;
		case 'q': cli->batch_opts.quiet = true; break;
		case 'v': cli->batch_opts.verbose = true; break;
		case OPT_JSON: cli->batch_opts.json = true; break;
		case OPT_ASCII: cli->console_opts.ascii = true; break;
		case OPT_NO_COLOR: cli->console_opts.no_color = true; break;
		case OPT_CHECK_CONFIG: cli->check_config = true; break;
		case OPT_LIST_TARGETS: cli->list_targets = true; break;
		case OPT_LIST_SNAPSHOTS: cli->list_snapshots = true; break;
		case OPT_DEMO: cli->demo_dir = optarg; break;
		case OPT_NOTE: cli->batch_opts.note = optarg; break;
		case OPT_TO: cli->batch_opts.to = optarg; break;
		case OPT_FORCE: cli->batch_opts.force = true; break;
		case OPT_READ_DATA: cli->batch_opts.read_data = true; break;
		case OPT_ALL: cli->batch_opts.all = true; break;
		case OPT_ALLOW_DOWNGRADE: cli->batch_opts.allow_downgrade = true; break;
		case OPT_ALLOW_MOVED: cli->batch_opts.allow_moved_tag = true; break;
		case OPT_FORCE_DRIFT: cli->batch_opts.force_drift = true; break;
		case OPT_DRY_RUN: cli->batch_opts.dry_run = true; break;
		case OPT_YES: cli->batch_opts.yes = true; break;
		case OPT_CURRENT: cli->batch_opts.current = true; break;
		case OPT_OUTPUT: cli->batch_opts.output = optarg; break;
		case OPT_REBUILD_INDEX: cli->batch_opts.rebuild_index = true; break;
		case OPT_LIST_CRASH_POINTS: list_crash_points(); exit(EXIT_OK);
		case OPT_PATH:
			cli->batch_opts.paths = xrealloc(cli->batch_opts.paths,
						 (cli->batch_opts.n_paths + 1) * sizeof(char *));
			cli->batch_opts.paths[cli->batch_opts.n_paths++] = optarg;
			break;
		case OPT_KEEP_PRESERVED: cli->batch_opts.keep_preserved = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("upkeep %s\n", PACKAGE_VERSION); exit(EXIT_OK);
		default: usage(stderr); return -1;
		}
	}
	if (!cli->batch && optind < argc) {
		fprintf(stderr, _("upkeep: unexpected argument \"%s\" (batch commands need --batch)\n"),
			argv[optind]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* UPKEEP_LOCALEDIR: catalogues of an uninstalled build (the tests). */
	const char *localedir = getenv("UPKEEP_LOCALEDIR");
	bindtextdomain(PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
	textdomain(PACKAGE);
	source_global_init();

	struct cli cli = { 0 };
	if (parse_args(argc, argv, &cli) < 0)
		return EXIT_USAGE;
	const char *no_color = getenv("NO_COLOR");
	if (no_color && *no_color)
		cli.console_opts.no_color = true;

	struct up_error err = UP_ERROR_INIT;
	if (cli.demo_dir) {
		char *config_path = NULL;
		if (demo_create(cli.demo_dir, &config_path, &err) < 0) {
			fprintf(stderr, "upkeep: %s\n", err.msg);
			err_clear(&err);
			return EXIT_FAILED;
		}
		printf(_("Demo created. Open the console with:\n  upkeep --config %s\n"), config_path);
		free(config_path);
		return EXIT_OK;
	}

	char *config_path = cli.config ? xstrdup(cli.config) : paths_default_config();
	struct config *cfg = NULL;
	if (config_load(config_path, &cfg, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		err_clear(&err);
		free(config_path);
		return EXIT_USAGE;
	}
	free(config_path);

	int code;
	if (cli.check_config) {
		if (!cli.batch_opts.quiet)
			printf(ngettext("%s: configuration is valid (%zu target)\n",
					"%s: configuration is valid (%zu targets)\n", cfg->n_targets),
			       cfg->file, cfg->n_targets);
		code = EXIT_OK;
	} else if (cli.list_targets) {
		complete_print_targets(cfg, stdout);
		code = EXIT_OK;
	} else if (cli.list_snapshots) {
		code = EXIT_OK;
		if (complete_print_snapshots(cfg, stdout, &err) < 0) {
			fprintf(stderr, "upkeep: %s\n", err.msg);
			err_clear(&err);
			code = EXIT_FAILED;
		}
	} else if (cli.batch) {
		cancel_signals_install(); /* SIGINT, SIGTERM, SIGHUP cancel (cancel.h) */
		log_setup(cli.batch_opts.verbose ? LOG_ECHO_VERBOSE :
			  cli.batch_opts.quiet ? LOG_ECHO_NONE : LOG_ECHO_DEFAULT);
		/* `recover` reports what it recovers itself; a dry run changes nothing */
		if ((optind >= argc || strcmp(argv[optind], "recover") != 0) && !cli.batch_opts.dry_run)
			batch_recover_at_start(cfg, cli.batch_opts.quiet);
		code = batch_run(cfg, argc - optind, argv + optind, &cli.batch_opts);
		log_close();
	} else if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs(_("upkeep: the console needs a terminal; use --batch for scripts\n"), stderr);
		code = EXIT_USAGE;
	} else {
		batch_recover_at_start(cfg, false);
		code = console_run(cfg, &cli.console_opts);
	}
	/* A check thread abandoned after its deadline may still read the
	 * configuration until the process ends. */
	if (!worker_abandoned_tasks())
		config_free(&cfg);
	free(cli.batch_opts.paths);
	return code;
}
