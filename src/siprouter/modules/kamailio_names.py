"""Which Kamailio module exports which config function and pseudo-variable (names only).

Facts from the spec's module-exports list (Kamailio's own sources): used for hints such
as `t_relay comes from module tm` and to avoid reporting, after a failed loadmodule,
every use of that module's functions again. Not a list of what siprouter implements:
that is the modules' EXPORTS tables.
"""

from __future__ import annotations

# module: (functions, pseudo-variables)
KAMAILIO_EXPORTS: dict[str, tuple[str, str]] = {
    "sl": (
        "send_reply send_reply_error send_reply_mode sl_forward_reply sl_reply "
        "sl_reply_error sl_send_reply",
        "ltt",
    ),
    "tm": (
        "t_any_replied t_any_timeout t_branch_replied t_branch_timeout "
        "t_cell_append_branches t_check_status t_check_trans t_clean "
        "t_disable_e2e_cancel_reason t_drop_replies t_exists t_forward_nonack "
        "t_forward_nonack_sctp t_forward_nonack_tcp t_forward_nonack_tls "
        "t_forward_nonack_to t_forward_nonack_udp t_forward_nonack_uri t_get_status_code "
        "t_grep_status t_is_canceled t_is_expired t_is_retr_async_reply t_is_set "
        "t_load_contacts t_lookup_cancel t_lookup_request t_msg_apply_changes t_newtran "
        "t_next_contact_flow t_next_contacts t_on_branch t_on_branch_failure t_on_failure "
        "t_on_reply t_relay t_relay_cancel t_relay_to t_relay_to_avp t_relay_to_proxy "
        "t_relay_to_sctp t_relay_to_tcp t_relay_to_tls t_relay_to_udp t_release "
        "t_replicate t_replicate_sctp t_replicate_tcp t_replicate_tls t_replicate_to "
        "t_replicate_udp t_reply t_reply_error t_reset_fr t_reset_max_lifetime "
        "t_reset_retr t_retransmit_reply t_save_lumps t_send_reply t_set_auto_inv_100 "
        "t_set_disable_6xx t_set_disable_failover t_set_disable_internal_reply t_set_fr "
        "t_set_max_lifetime t_set_no_auto_ack t_set_no_e2e_cancel_reason t_set_retr "
        "t_uac_send t_use_uac_headers t_write_req t_write_unix",
        "",
    ),
    "tmx": (
        "t_cancel_branch_idx t_cancel_branches t_cancel_callid t_continue t_drop "
        "t_flush_flags t_flush_xflags t_is_branch_route t_is_failure_route "
        "t_is_reply_route t_is_request_route t_precheck_trans t_reply_callid "
        "t_reuse_branch t_suspend t_uac_ack_local t_vbflag_is_set t_vbflag_reset "
        "t_vbflag_set",
        "T T_branch T_branch_idx T_inv T_reply_code T_reply_last T_reply_reason "
        "T_reply_ruid T_req T_rpl",
    ),
    "rr": (
        "add_rr_param check_route_param is_direction loose_route loose_route_mode "
        "loose_route_preloaded record_route record_route_advertised_address "
        "record_route_preset remove_record_route rr_next_hop_route",
        "fti rdir route_uri tti",
    ),
    "pv": (
        "is_int not_empty pv_evalx pv_isset pv_register_api pv_unset pv_var_to_xavp "
        "pv_xavi_print pv_xavp_print pv_xavp_to_var pv_xavu_print sbranch_append "
        "sbranch_reset sbranch_set_ruri typeof xavi_child_rm xavi_child_seti "
        "xavi_child_sets xavi_rm xavi_rm_all xavp_child_rm xavp_child_seti "
        "xavp_child_sets xavp_copy xavp_lshift xavp_params_explode xavp_params_implode "
        "xavp_params_implode_qval xavp_push_dst xavp_rm xavp_rm_all xavp_slist_explode "
        "xavp_xparams_explode xavu_params_explode xavu_params_implode",
        "AU Au Bf Eb Ec Ei Ej Ek En Eq Er Es Et Ev K Mf RAi RAp RAu RAut Ras Ri Rn Rp Ru "
        "Rut Sf TF TS TV Tb Tf Ts _s aU aa ad adc adn ado adr adu af ai ar au avp bF bR "
        "bf br branch bs cT ccp ci cl cnt conid cs csb ct cts ctu dP dd di dic dip dir dp "
        "ds du duri err.class err.info err.level err.rcode err.rreason expires fU fUl fd "
        "fn from from.domain from.user fs fsn fsp ft fu ful hdr hdrc hfl hflc ksr "
        "location_ua mF mb mbu mf mi ml msg msgbuf mt mts nh oP oU oUl od op ou ouri pU "
        "pd pn pp pr prid proto pu rP rU rUl rb rcv rd re recv rm rmid rp rpl rr rs rsi "
        "rt ru ruid rul ruri ruri.domain ruri.user rv rz sF sas sbranch sel sf shv shvinc "
        "si sid siz snd sndfrom sndto sp src_ip stat su sut tU tUl td time timef tn to "
        "to.domain to.user true tt tts tu ua utime utimef var version via0 via1 viaZ vn "
        "vz xavi xavp xavu",
    ),
    "xlog": (
        "xalert xbug xcrit xdbg xdbgl xerr xinfo xlog xlogl xlogm xnotice xwarn",
        "C",
    ),
    "maxfwd": (
        "is_maxfwd_lt maxfwd_at_least maxfwd_process mf_lowlimit mf_process_maxfwd_header "
        "process_maxfwd",
        "",
    ),
    "textops": (
        "append_body_part append_body_part_hex append_hf append_time "
        "append_time_to_request append_to_reply append_urihf cmp_istr cmp_str ends_with "
        "filter_body get_body_part get_body_part_raw has_body in_list in_list_prefix "
        "insert_hf is_audio_on_hold is_method is_present_hf is_present_hf_pv "
        "is_present_hf_re is_present_hf_re_pv is_privacy regex_substring remove_body_part "
        "remove_hf remove_hf_exp remove_hf_exp_pv remove_hf_idx remove_hf_match "
        "remove_hf_pv remove_hf_re remove_hf_re_pv replace replace_all replace_body "
        "replace_body_all replace_body_atonce replace_body_str replace_hdrs "
        "replace_hdrs_str replace_str search search_append search_append_body search_body "
        "search_hf search_str set_body set_body_hex set_body_multipart set_reply_body "
        "set_reply_body_hex starts_with str_all_in str_any_in str_find str_ifind subst "
        "subst_body subst_hf subst_uri subst_user subst_v via_param_rm",
        "",
    ),
    "textopsx": (
        "append_hf_value assign_hf_value assign_hf_value2 bl_iterator_append "
        "bl_iterator_end bl_iterator_insert bl_iterator_next bl_iterator_rm "
        "bl_iterator_start change_reply_status change_reply_status_code exclude_hf_value "
        "fnmatch hf_iterator_append hf_iterator_end hf_iterator_insert hf_iterator_next "
        "hf_iterator_prev hf_iterator_rm hf_iterator_start hf_value_exists "
        "include_hf_value insert_hf_value keep_hf msg_apply_changes msg_changed_route "
        "msg_set_buffer remove_body remove_hf_value remove_hf_value2",
        "blitval hfitbody hfitname",
    ),
    "siputils": (
        "add_uri_param append_rpid_hf cmp_aor cmp_hdr_name cmp_uri contact_param_check "
        "contact_param_decode contact_param_decode_ruri contact_param_encode "
        "contact_param_encode_alias contact_param_rm decode_contact decode_contact_header "
        "encode_contact get_uri_param has_totag hdr_date_check is_alphanum is_alphanumex "
        "is_e164 is_first_hop is_gruu is_http is_numeric is_reply is_request "
        "is_rpid_user_e164 is_sip is_supported is_tel_number is_uri is_uri_user_e164 "
        "is_user options_reply set_uri_host set_uri_user sip_p_charging_vector "
        "sip_parse_headers tel2sip tel2sip2 uri_param uri_param_any uri_param_rm",
        "pcv",
    ),
    "sanity": (
        "sanity_check sanity_reply",
        "",
    ),
    "corex": (
        "add_tcp_alias append_branch file_read file_write forward_reply forward_uac "
        "forward_uac_uri is_faked_msg is_incoming is_socket_name isxflagset "
        "msg_iflag_is_set msg_iflag_reset msg_iflag_set msg_vbflag_is_set "
        "msg_vbflag_parse msg_vbflag_reset msg_vbflag_set resetxflag send_data send_tcp "
        "send_udp sendx set_recv_socket set_recv_socket_name set_send_socket "
        "set_send_socket_name set_source_address setxflag via_add_srvid "
        "via_add_xavp_params via_reply_add_xavp_params via_use_xavp_fields",
        "atkv cfg lsock",
    ),
    "kex": (
        "avp_printf is_myhost is_myself isbflagset isdsturiset issflagset pv_printf "
        "resetbflag resetdebug resetdsturi resetsflag setbflag setdebug setdsturi "
        "setsflag",
        "sruid",
    ),
    "cfgutils": (
        "abort check_route_exists core_hash is_gflag lock pkg_status pkg_summary "
        "rand_event rand_get_prob rand_reset_prob rand_set_prob reset_gflag "
        "route_if_exists set_gflag shm_status shm_summary sleep trylock unlock usleep",
        "RANDOM",
    ),
    "htable": (
        "sht_dec sht_has_name sht_has_str_value sht_inc sht_is_null sht_iterator_end "
        "sht_iterator_next sht_iterator_rm sht_iterator_setex sht_iterator_seti "
        "sht_iterator_sets sht_iterator_start sht_lock sht_match_name sht_match_str_value "
        "sht_print sht_reset sht_rm sht_rm_name sht_rm_name_re sht_rm_value "
        "sht_rm_value_re sht_setxi sht_setxs sht_unlock",
        "sht shtcn shtcv shtdec shtex shtinc shtitkey shtitval shtrecord",
    ),
    "statistics": (
        "reset_stat update_stat",
        "",
    ),
    "counters": (
        "cnt.get_raw cnt.get_vars cnt.grp_get_all cnt.grps_list cnt.help cnt.list_groups "
        "cnt.list_vars cnt.reset cnt.var_list cnt_add cnt_inc cnt_reset "
        "script_cnt_grp_name script_counter",
        "",
    ),
    "usrloc": (
        "ul_bind_usrloc",
        "",
    ),
    "registrar": (
        "add_sock_hdr lookup lookup_branches lookup_to_dset lookup_xavp "
        "reg_fetch_contacts reg_free_contacts reg_from_user reg_send_reply registered "
        "save unregister",
        "ulc",
    ),
    "auth": (
        "auth_algorithm auth_challenge auth_get_www_authenticate consume_credentials "
        "has_credentials proxy_challenge pv_auth_check pv_proxy_authenticate "
        "pv_proxy_authorize pv_www_authenticate pv_www_authorize www_challenge",
        "",
    ),
    "auth_db": (
        "auth_check calculate_ha1 domain_column force_generate_avps is_subscriber "
        "password_column password_column_2 proxy_authenticate proxy_authorize use_domain "
        "user_column version_table www_authenticate",
        "",
    ),
    "db_sqlite": (
        "db_bind_api",
        "",
    ),
    "jsonrpcs": (
        "jsonrpc_dispatch jsonrpc_exec",
        "jsonrpl",
    ),
    "ctl": (
        "autoconversion binrpc binrpc_buffer_size binrpc_max_body_size "
        "binrpc_struct_max_body_size ctl.connections ctl.listen ctl.who fifo group mode "
        "user",
        "",
    ),
    "cfg_rpc": (
        "",
        "",
    ),
    "acc": (
        "acc_db_request acc_log_request acc_request",
        "",
    ),
    "dialog": (
        "dlg_bridge dlg_bye dlg_db_load_callid dlg_db_load_extra dlg_get dlg_get_var "
        "dlg_isflagset dlg_manage dlg_refer dlg_refer_cid dlg_refer_did "
        "dlg_remote_profile dlg_remove_dialogs_from_node dlg_req_within "
        "dlg_reset_property dlg_resetflag dlg_set_property dlg_set_ruri dlg_set_state "
        "dlg_set_timeout dlg_set_timeout_by_profile dlg_set_var dlg_setflag "
        "dlg_update_contact dlg_update_socket dlg_update_state get_profile_size "
        "is_in_profile is_known_dlg set_dlg_profile unset_dlg_profile",
        "DLG_count DLG_lifetime DLG_status dlg dlg_ctx dlg_var",
    ),
    "dlgs": (
        "dlgs_count dlgs_init dlgs_tags_add dlgs_tags_count dlgs_tags_rm dlgs_update",
        "",
    ),
    "nathelper": (
        "add_contact_alias add_rcv_param fix_nated_contact fix_nated_register "
        "fix_nated_sdp handle_ruri_alias is_rfc1918 nat_uac_test set_alias_to_pv "
        "set_contact_alias",
        "rr_count rr_top_count",
    ),
    "permissions": (
        "allow_address allow_address_group allow_register allow_register_include_port "
        "allow_routing allow_source_address allow_source_address_group allow_trusted "
        "allow_uri",
        "",
    ),
    "pike": (
        "pike_check_ip pike_check_req",
        "",
    ),
    "tls": (
        "is_peer_verified tls_set_connect_server_id",
        "tls tls_cipher_bits tls_cipher_info tls_description tls_my_issuer "
        "tls_my_issuer_cn tls_my_issuer_country tls_my_issuer_locality "
        "tls_my_issuer_organization tls_my_issuer_state tls_my_issuer_unit "
        "tls_my_raw_cert tls_my_san_count tls_my_san_email tls_my_san_hostname "
        "tls_my_san_ip tls_my_san_uri tls_my_serial tls_my_subject tls_my_subject_cn "
        "tls_my_subject_country tls_my_subject_locality tls_my_subject_organization "
        "tls_my_subject_state tls_my_subject_uid tls_my_subject_unit "
        "tls_my_urlencoded_cert tls_my_version tls_peer_expired tls_peer_issuer "
        "tls_peer_issuer_cn tls_peer_issuer_country tls_peer_issuer_locality "
        "tls_peer_issuer_organization tls_peer_issuer_state tls_peer_issuer_unit "
        "tls_peer_notAfter tls_peer_notBefore tls_peer_raw_cert tls_peer_revoked "
        "tls_peer_san_count tls_peer_san_email tls_peer_san_hostname tls_peer_san_ip "
        "tls_peer_san_uri tls_peer_selfsigned tls_peer_serial tls_peer_server_name "
        "tls_peer_subject tls_peer_subject_cn tls_peer_subject_country "
        "tls_peer_subject_locality tls_peer_subject_organization tls_peer_subject_state "
        "tls_peer_subject_uid tls_peer_subject_unit tls_peer_urlencoded_cert "
        "tls_peer_verified tls_peer_version tls_version",
    ),
    "websocket": (
        "ws_close ws_connect ws_connect_url ws_handle_handshake ws_send",
        "ws_conid",
    ),
    "xhttp": (
        "xhttp_reply",
        "hu",
    ),
    "app_python3": (
        "python_exec",
        "",
    ),
    "sworker": (
        "sworker_active sworker_task",
        "",
    ),
    "async": (
        "async_ms_route async_ms_sleep async_route async_sleep async_task_data "
        "async_task_group_data async_task_group_route async_task_route async_tkv_emit",
        "async",
    ),
    "dispatcher": (
        "ds_dsg_fetch ds_dsg_fetch_uri ds_is_active ds_is_from_list ds_list_exist "
        "ds_list_exists ds_load_unset ds_load_update ds_mark_addr ds_mark_dst "
        "ds_next_domain ds_next_dst ds_oc_set_attrs ds_reload ds_select ds_select_domain "
        "ds_select_dst ds_select_routes ds_set_domain ds_set_dst",
        "dsg dsv",
    ),
    "dmq": (
        "dmq_bcast_message dmq_handle_custom dmq_handle_message dmq_is_from_node "
        "dmq_process_custom dmq_process_message dmq_send_message dmq_t_replicate",
        "",
    ),
}

FUNCTION_MODULE: dict[str, str] = {}
PV_MODULE: dict[str, str] = {}
for _mod, (_funcs, _pvs) in KAMAILIO_EXPORTS.items():
    for _f in _funcs.split():
        FUNCTION_MODULE.setdefault(_f, _mod)
    for _p in _pvs.split():
        PV_MODULE.setdefault(_p, _mod)
